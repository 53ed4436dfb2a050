#!/usr/bin/env python3
"""Hostile clients against the echo server binary, and what they cost it: time and memory.

    python3 benches/scripts/echo_limits.py [BINARY] [SCENARIO ...]

BINARY defaults to target/release/examples/echo_server (build it first with
`cargo build --release --example echo_server`). Scenarios (all by default):

  slow-headers   10 clients each send a frame one byte every 2 s (a header announcing 4096
                 bytes, then its body) to a server started with --max-connections 10 and
                 --idle-timeout 3; when each is dropped, and whether an 11th is served.
  slow-readers   8 clients each send an 8 MiB frame and read 4 KiB of its echo every 2 s for
                 30 s, to a server started with --max-buffered 67108864 (64 MiB); the
                 server's RSS, and how many were refused.
  burst          8 clients each echo one 8 MiB frame and leave; then 8 others each echo a
                 6 MiB frame, and stay connected and idle; the server's RSS before, at its peak and each
                 100 ms after, for 3 s.
  fd-flood       the server with its file-descriptor limit at 64 and 80 connections held
                 open: "accept failed" lines a second on its stderr.

Every wait is bounded; a line per measure on stdout. Extra server flags go in the environment
variable ECHO_FLAGS.
"""
import os
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def known_flags(binary, flags):
    """The flags the binary's --help names (a flag with its value): an older build lacks some;
    each one left out is said on stdout."""
    help_text = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    kept = []
    for flag, value in zip(flags[::2], flags[1::2]):
        if flag in help_text:
            kept += [flag, value]
        else:
            print(f"  ({os.path.basename(binary)} has no {flag}: run without it)")
    return kept


class Server:
    def __init__(self, binary, flags, preexec=None):
        flags = known_flags(binary, flags)
        extra = os.environ.get("ECHO_FLAGS", "").split()
        self.proc = subprocess.Popen(
            [binary, "--listen", "127.0.0.1:0", *flags, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=preexec,
            text=True,
        )
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            raise SystemExit(f"the server did not start: {line!r}")
        host, port = line.split()[-1].rsplit(":", 1)
        self.addr = (host, int(port))
        self.log = []
        threading.Thread(target=self._read_log, daemon=True).start()

    def _read_log(self):
        for line in self.proc.stderr:
            self.log.append((time.monotonic(), line.rstrip("\n")))

    def rss(self):
        return rss_kib(self.proc.pid)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def connect(addr, timeout=5):
    return socket.create_connection(addr, timeout=timeout)


def send_quietly(sock, data):
    """sendall in a thread of its own: a server that drops the client ends it, quietly."""
    def send():
        try:
            sock.sendall(data)
        except OSError:
            pass
    threading.Thread(target=send, daemon=True).start()


def alive(sock):
    """Whether the server still holds the connection open (no EOF, no reset)."""
    sock.setblocking(False)
    try:
        data = sock.recv(1, socket.MSG_PEEK)
        return data != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def slow_headers(binary):
    server = Server(binary, ["--max-connections", "10", "--idle-timeout", "3"])
    started = time.monotonic()
    clients = [connect(server.addr) for _ in range(10)]
    dropped = {}
    frame = struct.pack("!I", 4096) + b"x" * 4096
    sent = 0
    stop = time.monotonic() + 30
    while time.monotonic() < stop and len(dropped) < 10:
        byte = frame[sent:sent + 1]
        sent += 1
        for i, sock in enumerate(clients):
            if i in dropped:
                continue
            try:
                sock.sendall(byte)
            except OSError:
                dropped[i] = time.monotonic() - started
                continue
            if not alive(sock):
                dropped[i] = time.monotonic() - started
        time.sleep(2)
    # An eleventh client: served if it gets its frame echoed.
    served = False
    try:
        with connect(server.addr, timeout=3) as extra:
            extra.sendall(struct.pack("!I", 2) + b"hi")
            served = extra.recv(6) == struct.pack("!I", 2) + b"hi"
    except OSError:
        served = False
    times = sorted(round(t, 1) for t in dropped.values())
    print(f"slow-headers: {len(dropped)} of 10 dropped within {round(time.monotonic() - started)} s"
          f" (after {times} s); an 11th client {'served' if served else 'NOT served'}")
    for sock in clients:
        sock.close()
    server.stop()


def slow_readers(binary):
    server = Server(binary, ["--max-buffered", str(64 << 20)])
    base = server.rss()
    frame = struct.pack("!I", 8 << 20) + bytes(8 << 20)
    socks = []

    def client():
        sock = connect(server.addr, timeout=60)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        socks.append(sock)
        send_quietly(sock, frame)

    for _ in range(8):
        client()
    peak = base
    stop = time.monotonic() + 30
    while time.monotonic() < stop:
        for sock in socks:
            try:
                sock.setblocking(False)
                sock.recv(4096)
            except (BlockingIOError, OSError):
                pass
        peak = max(peak, server.rss())
        time.sleep(2)
    still = sum(alive(sock) for sock in socks)
    refused = [l for _, l in server.log if "budget" in l]
    print(f"slow-readers: RSS {base // 1024} MiB at start, {peak // 1024} MiB at most in 30 s, "
          f"{server.rss() // 1024} MiB at the end; {len(refused)} refused over the budget, "
          f"{still} of 8 still connected")
    for line in refused[:1] + [l for _, l in server.log if "timed out" in l][:1]:
        print(f"  log: {line}")
    for sock in socks:
        sock.close()
    server.stop()


def burst(binary):
    server = Server(binary, [])
    before = server.rss()
    # A first burst of 8 MiB frames, its clients gone: a server that has been running a while.
    # Then frames of 6 MiB: smaller than what malloc last freed.
    first = struct.pack("!I", 8 << 20) + bytes(8 << 20)
    frame = struct.pack("!I", 6 << 20) + bytes(6 << 20)
    warm = [connect(server.addr, timeout=60) for _ in range(8)]
    for sock in warm:
        send_quietly(sock, first)
    for sock in warm:
        got = 0
        while got < len(first):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            got += len(chunk)
        sock.close()
    time.sleep(0.5)
    socks = [connect(server.addr, timeout=60) for _ in range(8)]

    def echo(sock):
        send_quietly(sock, frame)
        got = 0
        while got < len(frame):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            got += len(chunk)

    threads = [threading.Thread(target=echo, args=(s,)) for s in socks]
    peak = before
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak = max(peak, server.rss())
        time.sleep(0.02)
    done = time.monotonic()
    samples = []
    while time.monotonic() < done + 3:
        samples.append((round(time.monotonic() - done, 1), server.rss() // 1024))
        time.sleep(0.1)
    under = next((t for t, mib in samples if mib < 48), None)
    print(f"burst: RSS {before // 1024} MiB before, {peak // 1024} MiB at the peak; after the "
          f"echoes, {samples[0][1]} MiB at once, {samples[-1][1]} MiB after 3 s; under 48 MiB "
          f"{'after %.1f s' % under if under is not None else 'never within 3 s'} (clients idle, connected)")
    for sock in socks:
        sock.close()
    server.stop()


def fd_flood(binary):
    import resource

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    server = Server(binary, [], preexec=low_limit)
    socks = []
    for _ in range(80):
        try:
            socks.append(connect(server.addr, timeout=2))
        except OSError:
            break
    time.sleep(3)
    now = time.monotonic()
    recent = [l for t, l in server.log if now - t <= 2 and "accept failed" in l]
    print(f"fd-flood: {len(recent) / 2:.0f} 'accept failed' lines a second on stderr")
    for line in recent[:2]:
        print(f"  log: {line}")
    for sock in socks:
        sock.close()
    server.stop()


SCENARIOS = {
    "slow-headers": slow_headers,
    "slow-readers": slow_readers,
    "burst": burst,
    "fd-flood": fd_flood,
}


def main(argv):
    binary = os.path.join(ROOT, "target/release/examples/echo_server")
    names = []
    for arg in argv[1:]:
        if arg in SCENARIOS:
            names.append(arg)
        elif os.path.exists(arg):
            binary = arg
        else:
            print(f"usage: {argv[0]} [BINARY] [{' | '.join(SCENARIOS)} ...]", file=sys.stderr)
            return 2
    for name in names or list(SCENARIOS):
        SCENARIOS[name](binary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
