//! `FrameReader` and `FrameWriter` over readers and writers that return short reads and writes,
//! `Interrupted` and `WouldBlock` errors (`testkit::ChunkedReader`/`ChunkedWriter`).

use std::io::{self, Read, Write};

use bytes::BytesMut;
use lenframe::io::{FrameReader, FrameWriter};
use lenframe::testkit::{ChunkedReader, ChunkedWriter, IoOp};
use lenframe::{Codec, DecodeError, OversizePolicy};
use lenframe_support::strategy::{cases_or, layout_and_frames};
use proptest::collection::vec;
use proptest::prelude::*;

use lenframe_support::default_framing::encoded;

/// Payloads up to 20 000 bytes: past the 8 KiB vectored-write threshold.
const PAYLOAD_CAP: usize = 20_000;

/// Read or write schedules: short moves, or long enough to take a large payload in a few
/// calls, or one byte at a time; `Interrupted` errors among them.
fn io_schedule() -> impl Strategy<Value = Vec<IoOp>> {
    prop_oneof![
        3 => IoOp::short(40),
        1 => IoOp::short(70_000),
        1 => Just(vec![IoOp::Limit(1)]),
    ]
}

/// Calls `op` again while it fails with `WouldBlock`, as the caller of a non-blocking socket
/// does once the socket is ready. `budget` bounds the retries: every cycle of a schedule (at
/// most 8 ops) moves a byte at least, so a test's retries are bounded by its bytes.
fn retry<T>(budget: &mut usize, mut op: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    loop {
        match op() {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                *budget = budget
                    .checked_sub(1)
                    .expect("WouldBlock more often than the schedule allows");
            }
            other => return other,
        }
    }
}

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
    #![proptest_config(ProptestConfig::with_cases(cases_or(256)))]

    /// Generators: `payloads` (small, large > the 8 KiB vectored threshold, empty),
    /// `testkit::nonblocking_io` schedules (short moves, `Interrupted`, `WouldBlock`) for the
    /// writer and the reader. The caller retries every call that fails with `WouldBlock`, as
    /// the caller of a non-blocking socket does: every frame arrives once, in order.
    #[test]
    fn frames_survive_short_io_interrupts_and_would_block(
        frames in payloads(),
        write_schedule in IoOp::nonblocking(40),
        read_schedule in IoOp::nonblocking(40),
    ) {
        let wire = encoded(&frames);
        let mut budget = 8 * (wire.len() + frames.len() + 2);
        let mut writer = FrameWriter::new(ChunkedWriter::new(Vec::new(), write_schedule));
        for (i, frame) in frames.iter().enumerate() {
            // Nothing lost or duplicated, at every attempt: sent plus pending bytes are the
            // frames taken, this one only once the call returned Ok.
            let before = encoded(&frames[..i]).len();
            loop {
                let result = writer.write_frame(frame);
                let taken = writer.get_ref().get_ref().len() + writer.pending();
                match result {
                    Ok(()) => {
                        prop_assert_eq!(taken, encoded(&frames[..=i]).len(), "frame {}", i);
                        break;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        prop_assert_eq!(taken, before, "frame {} refused but kept", i);
                        budget = budget.checked_sub(1).expect("WouldBlock more often than the schedule allows");
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }
        retry(&mut budget, || writer.flush()).unwrap();
        let sink = writer.into_inner().unwrap().into_inner();
        prop_assert!(sink == wire, "the wire differs");

        let mut budget = 8 * (wire.len() + frames.len() + 2);
        let mut reader = FrameReader::new(ChunkedReader::new(&sink[..], read_schedule));
        let mut got = Vec::new();
        for _ in 0..=frames.len() {
            match retry(&mut budget, || reader.read_frame()).unwrap() {
                Some(frame) => got.push(frame.to_vec()),
                None => break,
            }
        }
        prop_assert_eq!(got, frames);
        prop_assert_eq!(retry(&mut budget, || reader.read_frame()).unwrap(), None);
    }

    /// Generators: `testkit::layout` (every layout the builder accepts: offsets, widths, byte
    /// orders, varint, adjustments, `num_skip` inside/at/past the header), `testkit::frames_for`
    /// (prefix and gap bytes, payloads up to 20 000 bytes), `io_schedule` for writes and reads
    /// (short and long moves, `Interrupted`). `write_frame_parts` writes exactly what
    /// `Codec::encode_parts` gives, and `FrameReader` returns exactly what `Codec::decode`
    /// returns for each frame.
    #[test]
    fn any_layout_survives_short_writes_short_reads_and_interrupts(
        (spec, plans) in layout_and_frames(PAYLOAD_CAP),
        write_schedule in io_schedule(),
        read_schedule in io_schedule(),
    ) {
        let codec = spec.build().unwrap();
        let mut expected_wire = BytesMut::new();
        let mut expected_frames = Vec::new();
        for plan in &plans {
            let mut one = BytesMut::new();
            codec.encode_parts(&plan.prefix, &plan.gap, &plan.payload, &mut one).unwrap();
            expected_wire.extend_from_slice(&one);
            let frame = codec.clone().decode(&mut one).unwrap();
            prop_assert!(one.is_empty());
            expected_frames.push(frame.unwrap());
        }

        let mut writer =
            FrameWriter::with_codec(ChunkedWriter::new(Vec::new(), write_schedule), codec.clone());
        for plan in &plans {
            writer.write_frame_parts(&plan.prefix, &plan.gap, &plan.payload).unwrap();
        }
        let sink = writer.into_inner().unwrap().into_inner();
        prop_assert_eq!(&sink[..], &expected_wire[..]);

        let chunked = ChunkedReader::new(&sink[..], read_schedule);
        let mut reader = FrameReader::with_codec(chunked, codec);
        let mut got = Vec::new();
        for _ in 0..=plans.len() {
            match reader.read_frame().unwrap() {
                Some(frame) => got.push(frame),
                None => break,
            }
        }
        prop_assert_eq!(got, expected_frames);
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
    let one_byte_reads = vec![IoOp::Limit(1), IoOp::Limit(1), IoOp::Interrupted];
    let reader = FrameReader::new(ChunkedReader::new(&wire[..], one_byte_reads));
    let frames: Vec<_> = reader.map(|f| f.unwrap()).collect();
    assert_eq!(frames, [&b"hello"[..], b"", b"jason", b"kevin"]);
}

#[test]
fn small_frames_are_batched_into_one_write() {
    let mut writer = FrameWriter::new(ChunkedWriter::new(Vec::new(), vec![]));
    for _ in 0..100 {
        writer.write_frame(b"tiny").unwrap();
    }
    assert_eq!(
        writer.get_ref().counts().moved,
        0,
        "all pending below 64 KiB"
    );
    writer.flush().unwrap();
    assert_eq!(writer.get_ref().counts().moved, 1);
    assert_eq!(writer.get_ref().get_ref().len(), 800);
    assert_eq!(writer.get_ref().counts().flushes, 1);
}

#[test]
fn a_large_body_goes_out_with_pending_frames_in_one_vectored_write() {
    let mut writer = FrameWriter::new(ChunkedWriter::new(Vec::new(), vec![]));
    writer.write_frame(b"small").unwrap();
    let body = vec![7u8; 100_000];
    writer.write_frame(&body).unwrap();
    assert_eq!(writer.get_ref().counts().moved, 1);
    let written = writer.get_ref().get_ref();
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
    let mut reader =
        FrameReader::with_codec(ChunkedReader::new(&wire[..], vec![IoOp::Limit(3)]), codec);
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
    let mut reader = FrameReader::new(ChunkedReader::new(&wire[..], vec![]));
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

#[test]
fn frames_over_64_kib_go_out_vectored_under_short_writes_and_come_back_under_short_reads() {
    let frames: Vec<Vec<u8>> = [65_537usize, 300_000, 5, 70_000, 0]
        .iter()
        .enumerate()
        .map(|(i, &len)| (0..len).map(|j| (i * 31 + j % 253) as u8).collect())
        .collect();
    let writes = vec![
        IoOp::Limit(1),
        IoOp::Limit(4096),
        IoOp::Limit(65_543),
        IoOp::Interrupted,
        IoOp::Limit(3),
    ];
    let mut writer = FrameWriter::new(ChunkedWriter::new(Vec::new(), writes));
    for frame in &frames {
        writer.write_frame(frame).unwrap();
    }
    let sink = writer.into_inner().unwrap();
    assert!(sink.counts().interrupted > 0 && sink.counts().moved > 10);
    let wire = sink.into_inner();
    assert!(wire == encoded(&frames), "the wire differs");

    let reads = vec![
        IoOp::Limit(1),
        IoOp::Limit(70_000),
        IoOp::Limit(13),
        IoOp::Limit(65_536),
        IoOp::Interrupted,
    ];
    let mut reader = FrameReader::new(ChunkedReader::new(&wire[..], reads));
    for (i, frame) in frames.iter().enumerate() {
        let got = reader.read_frame().unwrap().expect("a frame");
        assert!(got == frame[..], "frame {i} differs");
    }
    assert_eq!(reader.read_frame().unwrap(), None);
    assert!(reader.get_ref().counts().interrupted > 0);
}

/// Records every `write` call separately; no `write_vectored`, so std's default (first
/// non-empty slice only) applies, as for many wrappers.
#[derive(Debug, Default)]
struct NotVectored {
    calls: Vec<Vec<u8>>,
}

impl Write for NotVectored {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls.push(buf.to_vec());
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn without_vectored_writes_a_large_frame_takes_two_writes_not_one_per_header_field() {
    let codec = Codec::builder()
        .length_field_offset(1)
        .length_field_length(2)
        .num_skip(4)
        .build()
        .unwrap();
    let mut writer = FrameWriter::with_codec(NotVectored::default(), codec);
    writer.write_frame_parts(b"\x01", b"\xEE", b"hi").unwrap();
    let body = vec![9u8; 10_000];
    writer.write_frame_parts(b"\x02", b"\xFF", &body).unwrap();
    let calls = &writer.get_ref().calls;
    assert_eq!(calls.len(), 2);
    // The pending frame, then the large frame's prefix, length (10 000 = 0x2710) and gap.
    assert_eq!(calls[0], b"\x01\x00\x02\xEEhi\x02\x27\x10\xFF");
    assert!(calls[1] == body, "the body differs");
}

#[test]
fn the_iterator_ends_after_a_fatal_error_and_goes_on_after_a_discarded_frame() {
    let codec = Codec::builder()
        .max_frame_length(8)
        .oversize(OversizePolicy::Skip)
        .build()
        .unwrap();
    let mut wire = encoded(&["a"]);
    wire.extend_from_slice(&encoded(&["oversized"]));
    wire.extend_from_slice(&encoded(&["b"]));
    wire.extend_from_slice(b"\x00\x00\x00\x05abc"); // ends inside a frame
    let items: Vec<_> = FrameReader::with_codec(&wire[..], codec).take(10).collect();
    assert_eq!(items.len(), 4, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap(), "a");
    let discarded = items[1].as_ref().unwrap_err();
    assert_eq!(
        discarded.get_ref().and_then(|e| e.downcast_ref()),
        Some(&DecodeError::FrameDiscarded {
            announced: 9,
            max: 8,
            wire_len: 13
        })
    );
    assert_eq!(items[2].as_ref().unwrap(), "b");
    let truncated = items[3].as_ref().unwrap_err();
    assert_eq!(truncated.kind(), io::ErrorKind::UnexpectedEof);
    assert_eq!(
        truncated.get_ref().and_then(|e| e.downcast_ref()),
        Some(&DecodeError::TruncatedFrame {
            buffered: 7,
            expected: 9
        })
    );
}

/// Hands out `data` in one read, then `WouldBlock` (a peer that stopped sending, behind a read
/// timeout), then the rest once `resume` is set.
struct Stalling {
    data: Vec<u8>,
    rest: Vec<u8>,
    resume: bool,
}

impl Read for Stalling {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            if !self.resume {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            self.data = std::mem::take(&mut self.rest);
        }
        let n = buf.len().min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data.drain(..n);
        Ok(n)
    }
}

#[test]
fn a_stalled_peer_announcing_8_mib_holds_kilobytes_and_resumes() {
    let announced = 8 * 1024 * 1024 - 1;
    let body: Vec<u8> = (0..announced).map(|i| (i % 239) as u8).collect();
    let wire = encoded(&[&body]);
    let (head, rest) = wire.split_at(16); // the header and 12 body bytes, then nothing
    let mut reader = FrameReader::new(Stalling {
        data: head.to_vec(),
        rest: rest.to_vec(),
        resume: false,
    });
    for _ in 0..3 {
        let err = reader.read_frame().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(reader.buffered(), 16);
        assert!(!reader.codec().is_idle());
        assert!(
            reader.buffer_capacity() < 256 * 1024,
            "capacity {}",
            reader.buffer_capacity()
        );
    }
    reader.get_mut().resume = true;
    let frame = reader.read_frame().unwrap().expect("the whole frame");
    assert!(frame == body, "the frame differs");
}

#[test]
fn would_block_from_the_reader_loses_nothing_and_a_later_call_returns_the_frame() {
    let wire = encoded(&["hello", "", "jason"]);
    // Two bytes per read, then "nothing arrived yet".
    let schedule = vec![IoOp::Limit(2), IoOp::WouldBlock];
    let mut reader = FrameReader::new(ChunkedReader::new(&wire[..], schedule));
    let err = reader.read_frame().unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    assert_eq!(reader.buffered(), 2, "the two bytes read are kept");
    let mut frames = Vec::new();
    let mut would_block = 1;
    for _ in 0..64 {
        match reader.read_frame() {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => break,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => would_block += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(frames, ["hello", "", "jason"]);
    assert_eq!(would_block, reader.get_ref().counts().would_block);
    // 22 bytes in reads of 2, each followed by WouldBlock, then the end.
    assert_eq!(would_block, 11);
}
