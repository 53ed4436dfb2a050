//! `FrameReader` and `FrameWriter` over readers and writers that return short reads and writes
//! and `Interrupted` errors (`testkit::ScriptedReader`/`ScriptedWriter`).

use std::io::{self, Write};

use lenframe::io::{FrameReader, FrameWriter};
use lenframe::testkit::{ScriptedReader, ScriptedWriter};
use lenframe::{Codec, DecodeError, OversizePolicy};
use proptest::collection::vec;
use proptest::prelude::*;

fn payloads() -> impl Strategy<Value = Vec<Vec<u8>>> {
    vec(
        prop_oneof![
            4 => vec(any::<u8>(), 0..64),
            1 => vec(any::<u8>(), 8 * 1024..20 * 1024),
            1 => Just(Vec::new()),
        ],
        0..12,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(256)
    ))]

    /// Generators: `payloads` (small, large > the 8 KiB vectored threshold, empty), short write
    /// and read sizes, `Interrupted` every n calls.
    #[test]
    fn frames_survive_short_writes_short_reads_and_interrupts(
        frames in payloads(),
        write_sizes in vec(1usize..40, 1..6),
        read_sizes in vec(1usize..40, 1..6),
        write_interrupt in prop_oneof![Just(0usize), 2usize..5],
        read_interrupt in prop_oneof![Just(0usize), 2usize..5],
    ) {
        let mut writer = FrameWriter::new(ScriptedWriter::new(write_sizes, write_interrupt));
        for frame in &frames {
            writer.write_frame(frame).unwrap();
        }
        let sink = writer.into_inner().unwrap();
        let mut expected_wire = Vec::new();
        for frame in &frames {
            expected_wire.extend_from_slice(&u32::try_from(frame.len()).unwrap().to_be_bytes());
            expected_wire.extend_from_slice(frame);
        }
        prop_assert_eq!(&sink.written, &expected_wire);

        let mut reader = FrameReader::new(ScriptedReader::new(sink.written, read_sizes, read_interrupt));
        let mut got = Vec::new();
        for _ in 0..=frames.len() {
            match reader.read_frame().unwrap() {
                Some(frame) => got.push(frame.to_vec()),
                None => break,
            }
        }
        prop_assert_eq!(got, frames);
        prop_assert_eq!(reader.read_frame().unwrap(), None);
    }
}

#[test]
fn one_byte_reads_deliver_every_frame() {
    let mut wire = Vec::new();
    let mut writer = FrameWriter::new(&mut wire);
    for word in [&b"hello"[..], b"", b"jason", b"kevin"] {
        writer.write_frame(word).unwrap();
    }
    drop(writer); // Drop writes the pending frames.
    let reader = FrameReader::new(ScriptedReader::new(wire, vec![1], 3));
    let frames: Vec<_> = reader.map(|f| f.unwrap()).collect();
    assert_eq!(frames, [&b"hello"[..], b"", b"jason", b"kevin"]);
}

#[test]
fn small_frames_are_batched_into_one_write() {
    let mut writer = FrameWriter::new(ScriptedWriter::new(vec![], 0));
    for _ in 0..100 {
        writer.write_frame(b"tiny").unwrap();
    }
    assert_eq!(writer.get_ref().writes, 0, "all pending below 64 KiB");
    writer.flush().unwrap();
    assert_eq!(writer.get_ref().writes, 1);
    assert_eq!(writer.get_ref().written.len(), 800);
    assert_eq!(writer.get_ref().flushes, 1);
}

#[test]
fn a_large_body_goes_out_with_pending_frames_in_one_vectored_write() {
    let mut writer = FrameWriter::new(ScriptedWriter::new(vec![], 0));
    writer.write_frame(b"small").unwrap();
    let body = vec![7u8; 100_000];
    writer.write_frame(&body).unwrap();
    assert_eq!(writer.get_ref().writes, 1);
    let written = &writer.get_ref().written;
    assert_eq!(&written[..9], b"\x00\x00\x00\x05small");
    assert_eq!(&written[9..13], &100_000u32.to_be_bytes());
    assert_eq!(written.len(), 9 + 4 + 100_000);
}

#[test]
fn eof_inside_a_frame_is_unexpected_eof_with_the_numbers() {
    let mut reader = FrameReader::new(&b"\x00\x00\x00\x09hello"[..]);
    let err = reader.read_frame().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    let typed = err.get_ref().and_then(|e| e.downcast_ref::<DecodeError>());
    assert_eq!(
        typed,
        Some(&DecodeError::TruncatedFrame {
            buffered: 9,
            expected: 13
        })
    );
}

#[test]
fn skip_policy_reports_once_then_reads_on() {
    let codec = Codec::builder()
        .max_frame_length(8)
        .oversize(OversizePolicy::Skip)
        .build()
        .unwrap();
    let mut wire = b"\x00\x00\x00\x02ok".to_vec();
    wire.extend_from_slice(&20u32.to_be_bytes());
    wire.extend_from_slice(&[0xAA; 20]);
    wire.extend_from_slice(b"\x00\x00\x00\x04next");
    let mut reader = FrameReader::with_codec(ScriptedReader::new(wire, vec![3], 0), codec);
    assert_eq!(reader.read_frame().unwrap().as_deref(), Some(&b"ok"[..]));
    let err = reader.read_frame().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert_eq!(
        err.get_ref().and_then(|e| e.downcast_ref::<DecodeError>()),
        Some(&DecodeError::FrameDiscarded {
            announced: 20,
            max: 8,
            wire_len: 24
        })
    );
    assert_eq!(reader.read_frame().unwrap().as_deref(), Some(&b"next"[..]));
    assert_eq!(reader.read_frame().unwrap(), None);
}

#[test]
fn fatal_errors_repeat() {
    let codec = Codec::builder().max_frame_length(8).build().unwrap();
    let mut reader = FrameReader::with_codec(&b"\x00\x00\x00\x09123456789"[..], codec);
    let first = reader.read_frame().unwrap_err().to_string();
    assert_eq!(
        first,
        "frame of 9 bytes announced, over the limit of 8 bytes"
    );
    assert_eq!(reader.read_frame().unwrap_err().to_string(), first);
    assert_eq!(reader.buffered(), 13, "nothing consumed, nothing lost");
}

#[test]
fn a_stalled_8_mib_announcement_costs_kilobytes_not_megabytes() {
    // The header announces 8 MiB - 1, then the peer sends 12 bytes and stops.
    let mut wire = (8u32 * 1024 * 1024 - 1).to_be_bytes().to_vec();
    wire.extend_from_slice(&[1; 12]);
    let mut reader = FrameReader::new(ScriptedReader::new(wire, vec![], 0));
    let err = reader.read_frame().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert!(
        reader.buffer_capacity() < 128 * 1024,
        "capacity {}",
        reader.buffer_capacity()
    );
}

#[test]
fn into_inner_returns_the_writer_with_everything_written() {
    let mut writer = FrameWriter::new(Vec::new());
    writer.write_frame(b"a").unwrap();
    writer.write_frame(b"bc").unwrap();
    assert_eq!(writer.pending(), 11);
    let inner = writer.into_inner().unwrap();
    assert_eq!(inner, b"\x00\x00\x00\x01a\x00\x00\x00\x02bc");
}

/// A writer that fails until told otherwise.
#[derive(Debug)]
struct Flaky {
    fail: bool,
    written: Vec<u8>,
}

impl Write for Flaky {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.fail {
            return Err(io::Error::new(io::ErrorKind::BrokenPipe, "down"));
        }
        self.written.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_failed_into_inner_loses_nothing() {
    let mut writer = FrameWriter::new(Flaky {
        fail: true,
        written: Vec::new(),
    });
    writer.write_frame(b"kept").unwrap();
    let err = writer.into_inner().unwrap_err();
    assert_eq!(err.error().kind(), io::ErrorKind::BrokenPipe);
    let mut writer = err.into_writer();
    assert_eq!(writer.pending(), 8);
    writer.get_mut().fail = false;
    let inner = writer.into_inner().unwrap();
    assert_eq!(inner.written, b"\x00\x00\x00\x04kept");
}

#[test]
fn a_failed_vectored_write_keeps_the_unsent_rest_pending() {
    let mut writer = FrameWriter::new(Flaky {
        fail: true,
        written: Vec::new(),
    });
    let body = vec![3u8; 10_000];
    assert!(writer.write_frame(&body).is_err());
    assert_eq!(writer.pending(), 10_004);
    writer.get_mut().fail = false;
    writer.flush().unwrap();
    let mut reader = FrameReader::new(&writer.get_ref().written[..]);
    assert_eq!(reader.read_frame().unwrap().as_deref(), Some(&body[..]));
}

#[test]
fn encode_errors_write_nothing() {
    let codec = Codec::builder().max_frame_length(4).build().unwrap();
    let mut writer = FrameWriter::with_codec(Vec::new(), codec);
    let err = writer.write_frame(b"too long").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(
        err.to_string(),
        "frame of 8 bytes is over the limit of 4 bytes"
    );
    assert_eq!(writer.pending(), 0);
}

#[test]
fn layouts_with_a_prefix_go_through_write_frame_parts() {
    let codec = Codec::builder()
        .length_field_offset(1)
        .length_field_length(2)
        .build()
        .unwrap();
    let mut writer = FrameWriter::with_codec(Vec::new(), codec.clone());
    writer.write_frame_parts(b"\x07", b"", b"hi").unwrap();
    let big = vec![1u8; 9000];
    writer.write_frame_parts(b"\x08", b"", &big).unwrap();
    let wire = writer.into_inner().unwrap();
    assert_eq!(&wire[..5], b"\x07\x00\x02hi");
    assert_eq!(&wire[5..8], b"\x08\x23\x28");
    let frames: Vec<_> = FrameReader::with_codec(&wire[..], codec)
        .map(|f| f.unwrap())
        .collect();
    assert_eq!(frames, [&b"hi"[..], &big[..]]);
}
