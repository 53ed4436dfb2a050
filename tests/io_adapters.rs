//! `FrameReader` and `FrameWriter` over readers and writers that return short reads and writes
//! and `Interrupted` errors (`testkit::ScriptedReader`/`ScriptedWriter`).

use std::cell::RefCell;
use std::io::{self, IoSlice, Read, Write};
use std::rc::Rc;

use bytes::BytesMut;
use lenframe::io::{FrameReader, FrameWriter};
use lenframe::testkit::{
    frames_for, layout, FramePlan, LayoutSpec, ScriptedReader, ScriptedWriter,
};
use lenframe::{Codec, DecodeError, OversizePolicy};
use proptest::collection::vec;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Encodes `frames` with the default layout, as the wire must carry them.
fn encoded(frames: &[impl AsRef<[u8]>]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    for frame in frames {
        Codec::new().encode(frame.as_ref(), &mut wire).unwrap();
    }
    wire.to_vec()
}

/// A layout and frames valid for it, payloads up to 20 000 bytes (past the 8 KiB vectored-write
/// threshold).
fn layout_and_frames() -> impl Strategy<Value = (LayoutSpec, Vec<FramePlan>)> {
    layout().prop_flat_map(|spec| {
        let codec = spec.build().expect("layout() only yields valid layouts");
        (Just(spec), frames_for(&codec, 20_000))
    })
}

/// Write sizes: short, or long enough to take a large payload in a few calls.
fn io_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        3 => vec(1usize..40, 1..6),
        1 => vec(1usize..70_000, 1..4),
        1 => Just(vec![1]),
    ]
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
    #![proptest_config(ProptestConfig::with_cases(cases()))]

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
        prop_assert_eq!(&sink.written, &encoded(&frames));

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

    /// Generators: `testkit::layout` (every layout the builder accepts: offsets, widths, byte
    /// orders, varint, adjustments, `num_skip` inside/at/past the header), `testkit::frames_for`
    /// (prefix and gap bytes, payloads up to 20 000 bytes), `io_sizes` for writes and reads,
    /// `Interrupted` every n calls. `write_frame_parts` writes exactly what `Codec::encode_parts`
    /// gives, and `FrameReader` returns exactly what `Codec::decode` returns for each frame.
    #[test]
    fn any_layout_survives_short_writes_short_reads_and_interrupts(
        (spec, plans) in layout_and_frames(),
        write_sizes in io_sizes(),
        read_sizes in io_sizes(),
        write_interrupt in prop_oneof![Just(0usize), 2usize..5],
        read_interrupt in prop_oneof![Just(0usize), 2usize..5],
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
            FrameWriter::with_codec(ScriptedWriter::new(write_sizes, write_interrupt), codec.clone());
        for plan in &plans {
            writer.write_frame_parts(&plan.prefix, &plan.gap, &plan.payload).unwrap();
        }
        let sink = writer.into_inner().unwrap();
        prop_assert_eq!(&sink.written[..], &expected_wire[..]);

        let scripted = ScriptedReader::new(sink.written, read_sizes, read_interrupt);
        let mut reader = FrameReader::with_codec(scripted, codec);
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
    let mut writer = FrameWriter::new(ScriptedWriter::new(vec![1, 4096, 65_543, 3], 4));
    for frame in &frames {
        writer.write_frame(frame).unwrap();
    }
    let sink = writer.into_inner().unwrap();
    assert!(sink.written == encoded(&frames), "the wire differs");
    assert!(sink.interrupts > 0 && sink.writes > 10);

    let scripted = ScriptedReader::new(sink.written, vec![1, 70_000, 13, 65_536], 5);
    let mut reader = FrameReader::new(scripted);
    for (i, frame) in frames.iter().enumerate() {
        let got = reader.read_frame().unwrap().expect("a frame");
        assert!(got == frame[..], "frame {i} differs");
    }
    assert_eq!(reader.read_frame().unwrap(), None);
    assert!(reader.get_ref().interrupts > 0);
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
fn dropping_the_writer_writes_pending_frames() {
    let mut sink = Vec::new();
    {
        let mut writer = FrameWriter::new(&mut sink);
        writer.write_frame(b"hello").unwrap();
        writer.write_frame(b"jason").unwrap();
        assert!(writer.get_ref().is_empty(), "pending until flush or drop");
    }
    assert_eq!(sink, encoded(&["hello", "jason"]));
}

/// A sink shared with the test, so what was written can be read after the writer is gone.
#[derive(Clone, Debug, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn dropping_the_writer_while_panicking_writes_nothing() {
    let sink = Shared::default();
    let mut writer = FrameWriter::new(sink.clone());
    let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        writer.write_frame(b"half-built state").unwrap();
        panic!("the caller fails with a frame pending");
    }));
    assert!(unwound.is_err());
    assert_eq!(sink.0.borrow().len(), 0);
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
fn a_failed_batch_write_keeps_the_frame_once() {
    let frames: Vec<Vec<u8>> = (0..70u8).map(|i| vec![i; 1000]).collect();
    let mut writer = FrameWriter::new(Flaky {
        fail: true,
        written: Vec::new(),
    });
    let mut failures = 0;
    for frame in &frames {
        if let Err(e) = writer.write_frame(frame) {
            assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
            failures += 1;
            writer.get_mut().fail = false; // the link comes back; the frame is not resent
        }
    }
    assert_eq!(failures, 1, "the batch passes 64 KiB once");
    let sink = writer.into_inner().unwrap();
    assert!(sink.written == encoded(&frames), "the wire differs");
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
    assert!(
        writer.get_ref().written == encoded(&[&body]),
        "the wire differs"
    );
}

/// Takes `accept` bytes, then fails; its failures can be turned off.
#[derive(Debug)]
struct CutOff {
    accept: usize,
    written: Vec<u8>,
}

impl Write for CutOff {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.accept == 0 {
            return Err(io::Error::new(io::ErrorKind::ConnectionReset, "reset"));
        }
        let n = buf.len().min(self.accept);
        self.accept -= n;
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_vectored_write_cut_inside_the_header_or_the_body_resumes_at_the_cut() {
    let body: Vec<u8> = (0..20_000u32).map(|i| (i % 241) as u8).collect();
    // Cut inside the pending frame, inside the large frame's header, inside its body.
    for cut in [3, 11, 14, 5_000] {
        let mut writer = FrameWriter::new(CutOff {
            accept: usize::MAX,
            written: Vec::new(),
        });
        writer.write_frame(b"small").unwrap();
        writer.get_mut().accept = cut;
        let err = writer.write_frame(&body).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(writer.get_ref().written.len(), cut);
        assert_eq!(writer.pending(), 9 + 4 + body.len() - cut, "cut at {cut}");
        writer.get_mut().accept = usize::MAX;
        let sink = writer.into_inner().unwrap();
        assert!(
            sink.written == encoded(&[&b"small"[..], &body]),
            "cut at {cut}: the wire differs"
        );
    }
}

/// Accepts nothing: `Ok(0)` forever.
#[derive(Debug)]
struct Full;

impl Write for Full {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Ok(0)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_writer_accepting_nothing_is_write_zero_not_a_spin() {
    let mut writer = FrameWriter::new(Full);
    let err = writer.write_frame(&[0u8; 9000]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    assert_eq!(writer.pending(), 9004);
    assert_eq!(writer.flush().unwrap_err().kind(), io::ErrorKind::WriteZero);
    let err = writer.into_inner().unwrap_err();
    assert_eq!(err.error().kind(), io::ErrorKind::WriteZero);
    drop(err); // Drop tries once more, meets `Ok(0)`, and gives up: no spin
}

/// Claims to have written more than it was given.
#[derive(Debug)]
struct Boastful(Vec<u8>);

impl Write for Boastful {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len() + 7)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut total = 0;
        for buf in bufs {
            total += self.write(buf)? - 7;
        }
        Ok(total + 7)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_writer_claiming_too_much_does_not_panic_the_writer() {
    let mut writer = FrameWriter::new(Boastful(Vec::new()));
    writer.write_frame(b"one").unwrap();
    writer.write_frame(&[5u8; 9000]).unwrap();
    let sink = writer.into_inner().unwrap();
    assert!(
        sink.0 == encoded(&[&b"one"[..], &[5u8; 9000][..]]),
        "the wire differs"
    );
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
