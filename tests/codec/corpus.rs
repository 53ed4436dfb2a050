//! Replays every committed fuzz input (`corpus/TARGET/*`) through the same oracle as its fuzz
//! target, on stable Rust with no fuzzer. Fails naming each failing file and its panic message,
//! and fails if a folder is missing or empty.
//!
//! `cargo test --test codec -- --ignored write_seeds` rewrites the hand-made seeds (files named
//! `seed-*`) from the definitions below; the input format is documented in
//! `lenframe_support::fuzz`.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

use bytes::BytesMut;
use lenframe::testkit::Plan;
use lenframe_support::fuzz::{
    self as fuzzing, EXTREME_ADJUSTMENT, EXTREME_MAX, EXTREME_NUM_SKIP, EXTREME_OFFSET,
    LITTLE_ENDIAN, MAX, NUM_SKIP, SKIP_POLICY,
};

type Oracle = fn(&[u8]);

const TARGETS: [(&str, Oracle); 4] = [
    ("decode", fuzzing::decode),
    ("roundtrip", fuzzing::roundtrip),
    ("differential", fuzzing::differential),
    ("reader", fuzzing::reader),
];

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)")
}

#[test]
fn every_committed_input_passes_its_oracle() {
    let mut failures = Vec::new();
    let mut replayed = 0;
    for (target, oracle) in TARGETS {
        let dir = corpus_dir(target);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus folder {}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{} holds no inputs", dir.display());
        for file in files {
            let data = fs::read(&file).unwrap();
            if let Err(payload) = panic::catch_unwind(|| oracle(&data)) {
                failures.push(format!(
                    "{}: {}",
                    file.display(),
                    panic_message(payload.as_ref())
                ));
            }
            replayed += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "inputs failing their oracle:\n{}",
        failures.join("\n")
    );
    assert!(replayed >= 4, "only {replayed} inputs replayed");
}

/// Layout bytes in the oracles' format: offset, field, flags, adjustment, num_skip, max (LE).
struct Layout {
    name: &'static str,
    bytes: [u8; 7],
}

#[allow(clippy::cast_sign_loss)] // an i8 adjustment is stored as its byte
const fn layout(
    name: &'static str,
    offset: u8,
    field: u8,
    flags: u8,
    adj: i8,
    num_skip: u8,
    max: u16,
) -> Layout {
    let m = max.to_le_bytes();
    Layout {
        name,
        bytes: [offset, field, flags, adj as u8, num_skip, m[0], m[1]],
    }
}

/// Layouts the builder accepts: every documented option, at least once.
const LAYOUTS: [Layout; 17] = [
    layout("default", 0, 4, 0, 0, 0, 0),
    layout("u32-le", 0, 4, LITTLE_ENDIAN, 0, 0, 0),
    layout("u8", 0, 1, 0, 0, 0, 0),
    layout("u64", 0, 8, 0, 0, 0, 0),
    layout("u16-keep-header", 0, 2, NUM_SKIP, 2, 0, 0),
    layout("u16-counts-header", 0, 2, 0, -2, 0, 0),
    layout("u24-in-5-byte-head-kept", 0, 3, NUM_SKIP, 5, 0, 0),
    layout("offset1-u16-adj1-skip3", 1, 2, NUM_SKIP, 1, 3, 0),
    layout("offset1-u16-adj-3-skip3", 1, 2, NUM_SKIP, -3, 3, 0),
    layout("offset2-u16-keep-prefix-skip1", 2, 2, NUM_SKIP, 3, 1, 0),
    layout("u24-gap-skip4", 0, 3, NUM_SKIP, 0, 4, 0),
    layout("varint", 0, 10, 0, 0, 0, 0),
    layout("varint-offset2", 2, 11, 0, 0, 0, 0),
    layout("max8-skip-policy", 0, 4, SKIP_POLICY | MAX, 0, 0, 8),
    layout("max8-error", 0, 2, MAX, 0, 0, 8),
    layout("u8-adj-2-max300", 0, 2, MAX, -2, 0, 300),
    layout("u64-max-2p56", 0, 8, EXTREME_MAX, 0, 0, 0x0700),
];

/// Layouts the builder must refuse (and the decode oracle checks which `ConfigError`), or that
/// sit at the edge of what it accepts.
const EDGE_LAYOUTS: [Layout; 8] = [
    layout("config-field-0", 0, 0, 0, 0, 0, 0),
    layout("config-field-9", 0, 9, 0, 0, 0, 0),
    layout("config-varint-num-skip", 0, 10, NUM_SKIP, 0, 0, 0),
    layout("config-max-over-u16-field", 0, 2, MAX, 0, 0, u16::MAX),
    layout("config-offset-usize-max", 0, 4, EXTREME_OFFSET, 0, 0, 0),
    layout(
        "config-adjustment-isize-min",
        0,
        4,
        EXTREME_ADJUSTMENT,
        0,
        0,
        0,
    ),
    layout("config-max-usize-max-u64", 0, 8, EXTREME_MAX, 0, 0, 0),
    layout(
        "edge-num-skip-huge-max-0",
        0,
        4,
        EXTREME_NUM_SKIP | MAX,
        0,
        2,
        0,
    ),
];

/// Streams for a layout: name and bytes. One well-formed stream carries every kind of frame the
/// layout allows (ordinary, empty, the longest up to 300 bytes); the others break it.
fn streams(l: &Layout) -> Vec<(&'static str, Vec<u8>)> {
    let codec = fuzzing::layout_codec(&l.bytes).unwrap_or_else(|e| panic!("{}: {e}", l.name));
    let longest = vec![0x4D; codec.max_frame_length().min(300)];
    let mut frames = BytesMut::new();
    for payload in [
        &b"hello"[..],
        b"jason",
        b"kevin",
        b"",
        b"",
        b"a",
        &longest,
        b"x",
    ] {
        let prefix = vec![0xCA; codec.prefix_len()];
        let gap = vec![0xFE; codec.gap_len()];
        // A payload the layout cannot carry (empty or too short for a positive adjustment, too
        // long for a small limit) is left out; a failed encode writes nothing.
        let _ = codec.encode_parts(&prefix, &gap, payload, &mut frames);
    }
    let frames = frames.to_vec();
    vec![
        (
            "truncated-header",
            frames[..codec.prefix_len() + 1].to_vec(),
        ),
        ("truncated-body", frames[..frames.len() - 2].to_vec()),
        ("frames", frames),
        ("all-ff-header", vec![0xFF; 12]),
        ("zeros", vec![0; 12]),
    ]
}

/// Writes the seed `name` for `target`; a `decode` seed of a layout that builds a codec twice,
/// the second (`name-reference`) with the check byte set to `REFERENCE`: every seed stream is
/// held to the reference decoding too.
fn write(target: &str, name: &str, data: &[u8]) {
    write_one(target, name, data);
    if target == "decode" && fuzzing::layout_codec(&data[..7]).is_ok() {
        let mut reference = data.to_vec();
        reference.resize(reference.len().max(8), 0);
        reference[7] = fuzzing::REFERENCE;
        write_one(target, &format!("{name}-reference"), &reference);
    }
}

fn write_one(target: &str, name: &str, data: &[u8]) {
    thread_local! {
        static WRITTEN: std::cell::RefCell<std::collections::HashSet<std::path::PathBuf>> =
            std::cell::RefCell::default();
    }
    let path = corpus_dir(target).join(format!("seed-{name}"));
    // Two seeds under one name: the second would replace the first.
    let fresh = WRITTEN.with(|written| written.borrow_mut().insert(path.clone()));
    assert!(fresh, "two seeds are named {}", path.display());
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
}

/// The testkit plans the seeds use: the stream in chunks of 3, 1, then 2 bytes each, with an
/// `Interrupted` error every third read, and in one piece.
fn plans() -> [(&'static str, Plan); 2] {
    [
        ("", {
            let mut plan = Plan::at(&[3, 4]);
            plan.then_every = 2;
            plan.interrupt_every = 3;
            plan
        }),
        ("-whole", Plan::default()),
    ]
}

/// An input for a stream target: layout, its target's byte, plan, stream.
fn stream_input(target: &str, layout: &[u8; 7], plan: &Plan, stream: &[u8]) -> Vec<u8> {
    let mut data = layout.to_vec();
    match target {
        // The first three checks in turn, from the stream's length (`write` adds each decode
        // seed again for the fourth, `REFERENCE`).
        "decode" => {
            data.push([fuzzing::CUTS, fuzzing::BORROWED, fuzzing::REENCODE][stream.len() % 3])
        }
        "reader" => data.push(fuzzing::ANY_STREAM),
        _ => {
            // differential: its own schedule (chunks of 2, 3, 1, cycling).
            data.extend_from_slice(&[3, 2, 3, 1]);
            data.extend_from_slice(stream);
            return data;
        }
    }
    data.extend_from_slice(&plan.to_bytes());
    data.extend_from_slice(stream);
    data
}

/// An input for the targets that encode frames: layout, (reader: its mode byte), plan, and the
/// message bytes (`arbitrary`'s format for the target's message type).
fn frames_input(target: &str, layout: &[u8; 7], plan: &Plan, messages: &[u8]) -> Vec<u8> {
    let mut data = layout.to_vec();
    if target == "reader" {
        data.push(0);
    }
    data.extend_from_slice(&plan.to_bytes());
    data.extend_from_slice(messages);
    data
}

/// Message bytes that mean several frames to `arbitrary` (each `Vec<u8>` takes a length, then
/// its bytes; `Payload` an enum tag first), among them the longest one the layout allows.
const MESSAGE_BYTES: [&[u8]; 3] = [
    b"\x05hello\x05jason\x05kevin\x00\x01\xff",
    b"\x00\x00\x00\x00\x05hello\x01\x00\x00\x00\x00\x00\x00\x00\x03abc",
    &[0x40; 200],
];

#[test]
#[ignore = "rewrites the committed seeds; run by hand"]
fn write_seeds() {
    for (suffix, plan) in plans() {
        for target in ["decode", "differential", "reader"] {
            write(
                target,
                &format!("empty{suffix}"),
                &stream_input(target, &LAYOUTS[0].bytes, &plan, &[]),
            );
        }
    }
    for l in &LAYOUTS {
        for (stream_name, stream) in streams(l) {
            let name = format!("{}-{stream_name}", l.name);
            for target in ["decode", "differential", "reader"] {
                write(
                    target,
                    &name,
                    &stream_input(target, &l.bytes, &plans()[0].1, &stream),
                );
            }
        }
        for (i, messages) in MESSAGE_BYTES.iter().enumerate() {
            for target in ["roundtrip", "reader"] {
                let name = format!("{}-frames-{i}", l.name);
                write(
                    target,
                    &name,
                    &frames_input(target, &l.bytes, &plans()[0].1, messages),
                );
            }
        }
    }
    for l in &EDGE_LAYOUTS {
        let stream = b"\x00\x00\x00\x05hello\x00\x00\x00\x00";
        for target in ["decode", "reader"] {
            write(
                target,
                l.name,
                &stream_input(target, &l.bytes, &plans()[0].1, stream),
            );
        }
        write(
            "roundtrip",
            l.name,
            &frames_input("roundtrip", &l.bytes, &Plan::default(), MESSAGE_BYTES[0]),
        );
    }
    // Hand-made streams: varints at their edges, the header traps, the skip policy, and each
    // documented difference from tokio-util (docs/differences-from-tokio-util.md).
    let varint = layout("", 0, 10, 0, 0, 0, 0).bytes;
    let default = layout("", 0, 4, 0, 0, 0, 0).bytes;
    let edges: Vec<(&str, [u8; 7], Vec<u8>)> = vec![
        (
            "varint-127-then-128",
            varint,
            [&[0x7F][..], &[1; 127], &[0x80, 0x01], &[2; 128]].concat(),
        ),
        ("varint-overlong", varint, vec![0x80, 0x00]),
        (
            "varint-overflow",
            varint,
            [&[0xFF; 10][..], &[0x01]].concat(),
        ),
        ("varint-u64-max", varint, [&[0xFF; 9][..], &[0x01]].concat()),
        // The tenth byte carries bit 63 only: 1 there is 2^63 (a frame over the limit), 2 does
        // not fit in a u64, 0 there is an overlong form.
        ("varint-2p63", varint, [&[0x80; 9][..], &[0x01]].concat()),
        (
            "varint-tenth-byte-2",
            varint,
            [&[0xFF; 9][..], &[0x02]].concat(),
        ),
        // Two bytes of a varint, both continued: the header needs a third.
        ("varint-two-continued-bytes", varint, vec![0x80, 0x80]),
        (
            "varint-overlong-10-bytes",
            varint,
            [&[0x80; 9][..], &[0x00]].concat(),
        ),
        (
            "u64-max-length-plus-1",
            layout("", 0, 8, 0, 1, 0, 0).bytes,
            vec![0xFF; 8],
        ),
        ("announces-8mib", default, b"\x00\x7f\xff\xffhello".to_vec()),
        (
            "skip-policy-discard-then-frame",
            layout("", 0, 1, SKIP_POLICY | MAX, 0, 0, 2).bytes,
            b"\x05abcde\x02ok".to_vec(),
        ),
        // 1: num_skip(0), and 00 00 ends inside its 2-byte header.
        (
            "diff1-num-skip-0-zero-length-spin",
            layout("", 0, 2, NUM_SKIP, 0, 0, 0).bytes,
            vec![0, 0],
        ),
        // 2: u8, adjustment -2: raw 254 is over tokio-util's limit (253), the 252-byte frame
        // within lenframe's.
        (
            "diff2-raw-over-limit-frame-within",
            layout("", 0, 1, 0, -2, 0, 0).bytes,
            [&[0xFE][..], &[0x42; 252]].concat(),
        ),
        // 2: u8, adjustment +2, limit 10: raw 9 is within tokio-util's limit, the 11-byte frame
        // over lenframe's.
        (
            "diff2-raw-within-limit-frame-over",
            layout("", 0, 1, MAX, 2, 0, 10).bytes,
            b"\x09abcdefghijk".to_vec(),
        ),
        // 3: the stream stops right after a header announcing 5 bytes.
        ("diff3-ends-after-header", default, vec![0, 0, 0, 5]),
        // 3, with num_skip past the header: the header and its gap, then the end.
        (
            "diff3-ends-after-gap",
            layout("", 0, 1, NUM_SKIP, 0, 3, 0).bytes,
            vec![5, 0xFE, 0xFE],
        ),
    ];
    for (name, layout, stream) in &edges {
        for target in ["decode", "differential", "reader"] {
            write(
                target,
                name,
                &stream_input(target, layout, &plans()[0].1, stream),
            );
        }
    }
}

/// What `crash-fatal-error-in-the-call-that-finished-a-discard` caught: under the skip policy,
/// the call that takes the last bytes of a discarded frame can meet a fatal header right after
/// them. That call consumes the discard's tail but not the header, which stays at the front, and
/// the error repeats (an oracle had assumed a fatal error consumes nothing in its call).
#[test]
fn a_fatal_error_in_the_call_that_finished_a_discard_keeps_its_header_and_repeats() {
    use lenframe::{Codec, DecodeError, OversizePolicy};
    // One-byte length, adjustment -1, at most 1 byte: 05 announces 4 (discarded, 6 bytes on the
    // wire), 00 announces -1.
    let mut codec = Codec::builder()
        .length_field_length(1)
        .length_adjustment(-1)
        .max_frame_length(1)
        .oversize(OversizePolicy::Skip)
        .build()
        .unwrap();
    let mut buf = BytesMut::from(&b"\x05ab"[..]);
    assert!(matches!(
        codec.decode(&mut buf),
        Err(DecodeError::FrameDiscarded { .. })
    ));
    assert_eq!(codec.decode(&mut buf), Ok(None));
    buf.extend_from_slice(b"cd\x00");
    let fatal = DecodeError::LengthUnderflow {
        value: 0,
        adjustment: -1,
    };
    assert_eq!(codec.decode(&mut buf), Err(fatal.clone()));
    assert_eq!(
        &buf[..],
        b"\x00",
        "the discard's tail went, the header stayed"
    );
    assert_eq!(codec.decode(&mut buf), Err(fatal));
    assert_eq!(&buf[..], b"\x00");
}
