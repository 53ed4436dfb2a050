#!/usr/bin/env python3
"""Turns criterion's results for benches/codec.rs, tcp.rs and framed.rs into tables and a plot.

    cargo bench --bench codec --bench tcp --bench framed -- --warm-up-time 1 --measurement-time 3
    python3 benches/scripts/bench_report.py            # writes docs/bench.md and docs/bench.png

Reads target/criterion/<group>/<function>/<frame size>/new/{estimates.json,benchmark.json}: the
time per iteration (criterion's slope estimate, or its mean when sampling was flat) and the
frames and wire bytes one iteration handles (the benches declare both as throughput). Every
ratio compares two results of the same group, which the benches measure in the same run on the
same bytes. Options: --criterion DIR (default target/criterion), --out DIR (default docs),
--no-plot (the table only). The plot needs matplotlib: `pip install matplotlib`.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

SIZES = [0, 16, 256, 4096, 65536]
DECODE = ["lenframe-owned", "lenframe-borrowed", "tokio-util"]
ENCODE = ["lenframe", "tokio-util"]
FRAMED = [("framed-16B", 16), ("framed-64KiB", 65536)]
GIB = 1024**3


def load(root):
    """{(group, function, size): {"ns": time per iteration, "frames": n, "bytes": n}}"""
    results = {}
    for bench in root.glob("*/*/*/new/benchmark.json"):
        meta = json.loads(bench.read_text())
        estimates = json.loads((bench.parent / "estimates.json").read_text())
        ns = (estimates.get("slope") or estimates["mean"])["point_estimate"]
        throughput = meta.get("throughput") or {}
        both = throughput.get("ElementsAndBytes")
        if both is None:
            continue  # not one of ours
        key = (meta["group_id"], meta["function_id"], int(meta["value_str"]))
        results[key] = {"ns": ns, "frames": both["elements"], "bytes": both["bytes"]}
    return results


def frames_per_s(r):
    return r["frames"] / r["ns"] * 1e9


def gib_per_s(r):
    return r["bytes"] / r["ns"] * 1e9 / GIB


def size_label(size):
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} B"


def rate(r, with_bytes=True):
    fps = frames_per_s(r)
    frames = f"{fps / 1e6:.1f} M" if fps >= 1e6 else f"{fps / 1e3:.0f} k"
    if not with_bytes:
        return f"{frames} frames/s"
    return f"{frames} frames/s, {gib_per_s(r):.2f} GiB/s"


def ratio(results, group, ours, theirs, size):
    a = results.get((group, ours, size))
    b = results.get((group, theirs, size))
    if a is None or b is None:
        return None
    return b["ns"] / a["ns"]


def fmt_ratio(x, needed=None):
    if x is None:
        return "n/a"
    if needed is not None and x < needed <= round(x, 2):
        return f"{x:.3f}x"  # rounding would hide the miss
    return f"{x:.2f}x"


def machine():
    cpu = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        rustc = "rustc (unknown version)"
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, {rustc}"


def codec_table(results, group, functions, baseline, with_bytes=True):
    """with_bytes=False where no payload byte moves (frames handed out as views of the buffer):
    a byte rate would be frames/s times the frame size, not a bandwidth."""
    ours = [f for f in functions if f != baseline]
    head = ["frame size"] + functions + [f"{f} / {baseline}" for f in ours]
    lines = ["| " + " | ".join(head) + " |", "|" + "---:|" * len(head)]
    for size in SIZES:
        cells = [size_label(size)]
        for f in functions:
            r = results.get((group, f, size))
            cells.append("n/a" if r is None else rate(r, with_bytes))
        for f in ours:
            cells.append(fmt_ratio(ratio(results, group, f, baseline, size)))
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def tcp_table(results, group, size, functions):
    lines = ["| sender, receiver | rate | time per iteration |", "|---|---:|---:|"]
    for f in functions:
        r = results.get((group, f, size))
        if r is not None:
            lines.append(f"| {f} | {rate(r)} | {r['ns'] / 1e6:.3f} ms |")
    return lines


def targets(results):
    """(target, measured ratio, threshold) for each speed target."""
    rows = [
        ("owned decode vs tokio-util, 16 B frames", ratio(results, "decode", "lenframe-owned", "tokio-util", 16), 1.3),
        ("borrowed decode vs tokio-util, 16 B frames", ratio(results, "decode", "lenframe-borrowed", "tokio-util", 16), 4.0),
    ]
    for size in SIZES:
        rows.append((f"encode vs tokio-util, {size_label(size)} frames", ratio(results, "encode", "lenframe", "tokio-util", size), 1.0))
    rows += [
        ("TCP 64 KiB: `write_frames` (one vectored write) + `read_frame` vs raw, one `write_all`", ratio(results, "tcp-64KiB", "lenframe-io-batch", "raw", 65536), 0.9),
        ("TCP 64 KiB: `write_frame` per frame + `read_frame` vs raw, one `write_all`", ratio(results, "tcp-64KiB", "lenframe-io", "raw", 65536), 0.9),
        ("TCP 64 KiB: `write_frame` per frame + `read_frame` vs raw, one `write_all` per frame", ratio(results, "tcp-64KiB", "lenframe-io", "raw-per-frame", 65536), 0.95),
        ("TCP 16 B: `FrameWriter` + `read_frame_ref` vs one write per frame + `read_frame_ref`", ratio(results, "tcp-16B", "lenframe-io-borrowed", "write-per-frame", 16), 20.0),
        ("TCP 16 B: `FrameWriter` + `read_frame` vs one write per frame + `read_frame_ref`", ratio(results, "tcp-16B", "lenframe-io", "write-per-frame", 16), 20.0),
    ]
    for group, size in FRAMED:
        rows.append((f"tokio `Framed` over TCP, {size_label(size)} frames, vs tokio-util", ratio(results, group, "lenframe", "tokio-util", size), 1.0))
    return rows


def table(results):
    out = [
        "# Benchmarks: lenframe against tokio-util and raw TCP",
        "",
        "Generated by `python3 benches/scripts/bench_report.py` from the results of",
        "",
        "```sh",
        "cargo bench --bench codec --bench tcp --bench framed -- --warm-up-time 1 --measurement-time 3",
        "```",
        "",
        f"Machine: {machine()}.",
        "Ratios are the other side's time over lenframe's, both measured in the same run on the same",
        "bytes and layout (4-byte big-endian length): above 1, lenframe is faster.",
        "",
        "## Targets",
        "",
        "| target | measured | needed | |",
        "|---|---:|---:|---|",
    ]
    for name, measured, needed in targets(results):
        verdict = "n/a" if measured is None else ("met" if measured >= needed else "**missed**")
        out.append(f"| {name} | {fmt_ratio(measured, needed)} | {needed:g}x | {verdict} |")
    out += [
        "",
        "## Decoding a buffer that holds about 1 MiB of frames",
        "",
        "`lenframe-owned`: `Codec::decode`, a `Bytes` per frame. `lenframe-borrowed`: `Codec::frames`,",
        "a `&[u8]` per frame. `tokio-util`: `LengthDelimitedCodec`, a `BytesMut` per frame.",
        "",
        *codec_table(results, "decode", DECODE, "tokio-util", with_bytes=False),
        "",
        "Frames per second only: both lenframe paths and tokio-util hand out views of the buffer, so",
        "no payload byte moves and a byte rate (frames/s times the frame size) would measure nothing.",
        "The two tables below copy every byte, and give GiB/s of wire bytes.",
        "",
        "## Decoding the same stream arriving in 4 KiB reads (the copy into the buffer timed)",
        "",
        *codec_table(results, "decode-4KiB-reads", DECODE, "tokio-util"),
        "",
        "## Encoding about 1 MiB of frames into one buffer",
        "",
        *codec_table(results, "encode", ENCODE, "tokio-util"),
        "",
        "## Loopback TCP, a writer thread and a reader thread",
        "",
        "64 frames of 64 KiB per iteration. `raw`: the same bytes with one `write_all`, read in 64 KiB",
        "reads, no framing; `raw-per-frame`: the same, one `write_all` per frame's bytes;",
        "`lenframe-io`: `FrameWriter::write_frame` per frame and `FrameReader::read_frame`;",
        "`lenframe-io-batch`: one `FrameWriter::write_frames` for the 64 frames, the same reader;",
        "each half alone against `raw-per-frame`: `write-frame-raw-reader`, `write_frame` per frame",
        "read in 64 KiB reads, and `raw-per-frame-frame-reader`, one `write_all` per frame read with",
        "`read_frame`.",
        "",
        *tcp_table(results, "tcp-64KiB", 65536, ["raw", "raw-per-frame", "lenframe-io", "lenframe-io-batch", "write-frame-raw-reader", "raw-per-frame-frame-reader"]),
        "",
        "8192 frames of 16 bytes per iteration. `lenframe-io`: `FrameWriter::write_frame` and",
        "`FrameReader::read_frame`; `lenframe-io-borrowed`: the same writer, `read_frame_ref`;",
        "`write-per-frame`: one `write_all` per encoded frame (the tutorial's way), read with",
        "`read_frame_ref`:",
        "",
        *tcp_table(results, "tcp-16B", 16, ["raw", "lenframe-io", "lenframe-io-borrowed", "write-per-frame"]),
        "",
        "## tokio `Framed` over loopback TCP",
        "",
        "A writer task feeds the frames to `FramedWrite` and flushes once per iteration; the",
        "benchmark takes them from `FramedRead` with `next`; one connection, the same codec on both",
        "ends: lenframe's `Codec` or tokio-util's `LengthDelimitedCodec`.",
        "",
        "| frames per iteration | lenframe | tokio-util | tokio-util / lenframe |",
        "|---|---:|---:|---:|",
    ]
    for group, size in FRAMED:
        ours = results.get((group, "lenframe", size))
        theirs = results.get((group, "tokio-util", size))
        if ours is None or theirs is None:
            continue
        out.append(
            f"| {ours['frames']} of {size_label(size)} | {ours['ns'] / 1e6:.3f} ms | {theirs['ns'] / 1e6:.3f} ms | "
            f"{fmt_ratio(ratio(results, group, 'lenframe', 'tokio-util', size))} |"
        )
    out.append("")
    return "\n".join(out)


def plot(results, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is missing: `pip install matplotlib` for the plot, or pass --no-plot", file=sys.stderr)
        return False
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharex=True)
    xs = list(range(len(SIZES)))
    # (groups with whether each is dashed, functions, metric, title, row, col). Bytes per second
    # only where bytes are copied: in-memory decoding hands out views (see report()).
    panels = [
        ([("decode", False), ("decode-4KiB-reads", True)], DECODE, frames_per_s, "decode: frames/s", 0, 0),
        ([("decode-4KiB-reads", True)], DECODE, gib_per_s, "decode in 4 KiB reads: GiB/s of wire bytes copied", 0, 1),
        ([("encode", False)], ENCODE, frames_per_s, "encode: frames/s", 1, 0),
        ([("encode", False)], ENCODE, gib_per_s, "encode: GiB/s of wire bytes", 1, 1),
    ]
    styles = {
        "lenframe-owned": ("tab:blue", "o"),
        "lenframe-borrowed": ("tab:green", "s"),
        "lenframe": ("tab:blue", "o"),
        "tokio-util": ("tab:orange", "^"),
    }
    for groups, functions, metric, title, row, col in panels:
        ax = axes[row][col]
        for g, dashed in groups:
            for f in functions:
                points = [(x, metric(results[(g, f, s)])) for x, s in zip(xs, SIZES) if (g, f, s) in results]
                if not points:
                    continue
                color, marker = styles[f]
                label = f + (" (4 KiB reads)" if dashed else "")
                ax.plot(*zip(*points), color=color, marker=marker, linestyle="--" if dashed else "-",
                        alpha=0.55 if dashed else 1.0, label=label)
        ax.set_yscale("log")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.set_xticks(xs, [size_label(s) for s in SIZES])
        if row == 1:
            ax.set_xlabel("payload per frame")
        ax.legend(fontsize=8)
    fig.suptitle("lenframe vs tokio-util LengthDelimitedCodec (same run, same bytes)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--criterion", default="target/criterion", type=Path)
    parser.add_argument("--out", default="docs", type=Path)
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args()
    results = load(args.criterion)
    if not results:
        sys.exit(f"no results under {args.criterion}: run the cargo bench command in this script's docs first")
    text = table(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.md").write_text(text)
    print(text)
    if not args.no_plot and not plot(results, args.out / "bench.png"):
        sys.exit(2)


if __name__ == "__main__":
    main()
