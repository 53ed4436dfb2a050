//! Replays every committed fuzz input (`corpus/TARGET/*`) through the same oracle as its fuzz
//! target, on stable Rust with no fuzzer. Fails naming the file, and fails if a folder is empty.
//!
//! `cargo test --all-features --test corpus -- --ignored write_seeds` rewrites the hand-made
//! seeds (files named `seed-*`) from the definitions below.

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

use bytes::BytesMut;
use lenframe::fuzzing;

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

#[test]
fn every_committed_input_passes_its_oracle() {
    let mut failures = Vec::new();
    for (target, oracle) in TARGETS {
        let dir = corpus_dir(target);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.is_file())
            .collect();
        files.sort();
        assert!(!files.is_empty(), "{} holds no inputs", dir.display());
        for file in files {
            let data = fs::read(&file).unwrap();
            if panic::catch_unwind(|| oracle(&data)).is_err() {
                failures.push(file.display().to_string());
            }
        }
    }
    assert!(
        failures.is_empty(),
        "inputs failing their oracle:\n{}",
        failures.join("\n")
    );
}

/// Layout bytes in the oracles' format: offset, field, flags, adjustment, num_skip, max (LE).
struct Layout {
    name: &'static str,
    bytes: [u8; 7],
}

const FIXED_LE: u8 = 1;
const SKIP_POLICY: u8 = 2;
const NUM_SKIP: u8 = 4;
const MAX: u8 = 8;

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

const LAYOUTS: [Layout; 14] = [
    layout("default", 0, 4, 0, 0, 0, 0),
    layout("u32-le", 0, 4, FIXED_LE, 0, 0, 0),
    layout("u8", 0, 1, 0, 0, 0, 0),
    layout("u64", 0, 8, 0, 0, 0, 0),
    layout("u16-keep-header", 0, 2, NUM_SKIP, 2, 0, 0),
    layout("u16-counts-header", 0, 2, 0, -2, 0, 0),
    layout("u24-in-5-byte-head-kept", 0, 3, NUM_SKIP, 5, 0, 0),
    layout("offset1-u16-adj1-skip3", 1, 2, NUM_SKIP, 1, 3, 0),
    layout("offset1-u16-adj-3-skip3", 1, 2, NUM_SKIP, -3, 3, 0),
    layout("u24-gap-skip4", 0, 3, NUM_SKIP, 0, 4, 0),
    layout("varint", 0, 10, 0, 0, 0, 0),
    layout("varint-offset2", 2, 11, 0, 0, 0, 0),
    layout("max8-skip-policy", 0, 4, SKIP_POLICY | MAX, 0, 0, 8),
    layout("max8-error", 0, 2, MAX, 0, 0, 8),
];

fn codec_of(l: &Layout) -> lenframe::Codec {
    // The same options the oracles' parser sets for these bytes.
    let b = &l.bytes;
    let mut builder = lenframe::Codec::builder()
        .length_field_offset(usize::from(b[0]))
        .length_adjustment(isize::from(i8::from_le_bytes([b[3]])));
    builder = if b[1] >= 10 {
        builder.varint()
    } else {
        builder.length_field_length(usize::from(b[1]))
    };
    if b[2] & FIXED_LE != 0 {
        builder = builder.little_endian();
    }
    if b[2] & SKIP_POLICY != 0 {
        builder = builder.oversize(lenframe::OversizePolicy::Skip);
    }
    if b[2] & NUM_SKIP != 0 {
        builder = builder.num_skip(usize::from(b[4]));
    }
    if b[2] & MAX != 0 {
        builder = builder.max_frame_length(usize::from(u16::from_le_bytes([b[5], b[6]])));
    }
    builder
        .build()
        .unwrap_or_else(|e| panic!("{}: {e}", l.name))
}

/// Streams for a layout: name and bytes.
fn streams(l: &Layout) -> Vec<(String, Vec<u8>)> {
    let codec = codec_of(l);
    let encode = |payloads: &[&[u8]]| {
        let mut wire = BytesMut::new();
        for p in payloads {
            let prefix = vec![0xCA; codec.prefix_len()];
            let gap = vec![0xFE; codec.gap_len()];
            // A payload the layout cannot carry (too short for a positive adjustment) is left
            // out; a failed encode writes nothing.
            let _ = codec.encode_parts(&prefix, &gap, p, &mut wire);
        }
        wire.to_vec()
    };
    let max_payload = vec![0x4D; codec.max_frame_length().min(300)];
    let hello = encode(&[b"hello", b"jason", b"kevin"]);
    let mut out = vec![
        ("empty".to_string(), Vec::new()),
        ("hello-jason-kevin".to_string(), hello.clone()),
        (
            "truncated-header".to_string(),
            hello[..codec.prefix_len() + 1].to_vec(),
        ),
        (
            "truncated-body".to_string(),
            hello[..hello.len() - 2].to_vec(),
        ),
        ("longest-frame".to_string(), encode(&[&max_payload, b"x"])),
        ("all-ff-header".to_string(), vec![0xFF; 12]),
        ("zeros".to_string(), vec![0; 12]),
    ];
    if codec.encode_header(0).is_ok() {
        out.push((
            "zero-length-frames".to_string(),
            encode(&[b"", b"", b"a", b""]),
        ));
    }
    out
}

fn write(target: &str, name: &str, data: &[u8]) {
    let path = corpus_dir(target).join(format!("seed-{name}"));
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
}

#[test]
#[ignore = "rewrites the committed seeds; run by hand"]
fn write_seeds() {
    for l in &LAYOUTS {
        for (stream_name, stream) in streams(l) {
            let name = format!("{}-{stream_name}", l.name);
            for (target, schedule) in [
                ("decode", &[1u8, 1][..]),
                ("differential", &[2, 3, 1][..]),
                ("reader", &[1, 7][..]),
            ] {
                let mut data = l.bytes.to_vec();
                data.push(u8::try_from(schedule.len()).unwrap());
                data.extend_from_slice(schedule);
                if target == "reader" {
                    data.push(3); // Interrupted every third read
                }
                data.extend_from_slice(&stream);
                write(target, &name, &data);
            }
        }
        // roundtrip: frames as [len][bytes].
        let mut data = l.bytes.to_vec();
        data.extend_from_slice(&[2, 1, 5]);
        for word in [&b"hello"[..], b"", b"jason", b"kevin", &[0x4D; 200]] {
            data.push(u8::try_from(word.len()).unwrap());
            data.extend_from_slice(word);
        }
        write("roundtrip", l.name, &data);
    }
    // Hand-made edge cases in the decoder's format.
    let edges: [(&str, &[u8]); 6] = [
        ("varint-127-128", b"\x00\x0a\x00\x00\x00\x00\x00\x00\x7f"),
        (
            "varint-overlong",
            b"\x00\x0a\x00\x00\x00\x00\x00\x00\x80\x00",
        ),
        (
            "varint-overflow",
            b"\x00\x0a\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",
        ),
        (
            "num-skip-0-zero-length-spin",
            b"\x00\x02\x04\x00\x00\x00\x00\x00\x00\x00",
        ),
        (
            "u64-max-length",
            b"\x00\x08\x00\x01\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff",
        ),
        (
            "announces-8mib",
            b"\x00\x04\x00\x00\x00\x00\x00\x00\x00\x7f\xff\xffhello",
        ),
    ];
    for (name, data) in edges {
        for target in ["decode", "differential", "reader"] {
            write(target, name, data);
        }
    }
}
