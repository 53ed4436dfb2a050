//! `FrameWriter::write_frames` writes exactly the bytes `write_frame` writes for the same frames,
//! under short writes and `Interrupted` errors, with large payloads uncopied in one vectored
//! write; an encode error anywhere in the batch writes and queues nothing; an inner writer's
//! error loses and duplicates nothing. Generators: fixed fields of every width and both byte
//! orders and varints, payload lengths on both sides of the 8 KiB "large" threshold, and the
//! write sizes of `testkit::chunk_sizes`.

use std::io::{self, IoSlice, Write};

use bytes::BytesMut;
use lenframe::io::FrameWriter;
use lenframe::testkit::{ChunkedWriter, IoOp};
use lenframe::{Codec, EncodeError, Endian};
use lenframe_support::strategy::cases_or;
use proptest::collection::vec;
use proptest::prelude::*;

/// Cases per property; `PROPTEST_CASES` overrides.
fn config() -> ProptestConfig {
    ProptestConfig::with_cases(cases_or(128))
}

/// Layouts without prefix or gap whose field carries lengths past 64 KiB.
fn codec() -> impl Strategy<Value = Codec> {
    prop_oneof![
        (
            3usize..=8,
            prop_oneof![Just(Endian::Big), Just(Endian::Little)]
        )
            .prop_map(|(width, endian)| Codec::builder()
                .length_field_length(width)
                .endian(endian)
                .build()
                .unwrap()),
        Just(Codec::builder().varint().build().unwrap()),
    ]
}

/// Payloads of 0 to 100 bytes, around the 8 KiB threshold, and past 64 KiB, each with a fill
/// byte so frames differ.
fn payloads() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let len = prop_oneof![0usize..100, 8190usize..8194, 70_000usize..70_004];
    vec(
        (len, any::<u8>()).prop_map(|(len, fill)| vec![fill; len]),
        0..12,
    )
}

fn expected(codec: &Codec, payloads: &[Vec<u8>]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    for payload in payloads {
        codec.encode(payload, &mut wire).unwrap();
    }
    wire.to_vec()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn write_frames_writes_what_write_frame_writes(
        codec in codec(),
        before in payloads(),
        batch in payloads(),
        schedule in prop_oneof![IoOp::short(64), IoOp::short(100_000)],
    ) {
        let mut writer = FrameWriter::with_codec(ChunkedWriter::new(Vec::new(), schedule), codec.clone());
        for payload in &before {
            writer.write_frame(payload).unwrap();
        }
        writer.write_frames(&batch).unwrap();
        if batch.iter().any(|p| p.len() >= 8192) {
            prop_assert_eq!(writer.pending(), 0, "a batch with a large payload is written out");
        }
        let inner = writer.into_inner().unwrap().into_inner();
        let all: Vec<Vec<u8>> = before.iter().chain(&batch).cloned().collect();
        prop_assert_eq!(inner, expected(&codec, &all));
    }
}

#[test]
fn an_encode_error_anywhere_in_the_batch_writes_and_queues_nothing() {
    let codec = Codec::builder().max_frame_length(100_000).build().unwrap();
    let mut writer = FrameWriter::with_codec(Vec::new(), codec);
    writer.write_frame(b"pending").unwrap();
    let big = vec![1u8; 90_000];
    let too_big = vec![2u8; 100_001];
    let err = writer
        .write_frames(&[&b"a"[..], &big, &too_big])
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    let typed = err.get_ref().unwrap().downcast_ref::<EncodeError>();
    assert_eq!(
        typed,
        Some(&EncodeError::FrameTooLarge {
            len: 100_001,
            max: 100_000
        })
    );
    assert_eq!(writer.pending(), 4 + 7, "only the frame queued before");
    assert!(writer.get_ref().is_empty());
}

#[test]
fn a_layout_with_a_prefix_is_refused_whole() {
    let codec = Codec::builder().length_field_offset(1).build().unwrap();
    let mut writer = FrameWriter::with_codec(Vec::new(), codec);
    let err = writer.write_frames(&[b"hi"]).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(writer.pending(), 0);
}

/// Accepts `budget` bytes, then fails once with `BrokenPipe`, then accepts everything; counts
/// the vectored calls.
struct FailOnce {
    written: Vec<u8>,
    budget: usize,
    failed: bool,
    vectored_calls: usize,
}

impl Write for FailOnce {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_vectored(&[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.vectored_calls += 1;
        let mut n = 0;
        for buf in bufs {
            let room = if self.failed {
                buf.len()
            } else {
                self.budget.min(buf.len())
            };
            if room == 0 && !self.failed {
                if n > 0 {
                    return Ok(n);
                }
                self.failed = true;
                return Err(io::Error::new(
                    io::ErrorKind::BrokenPipe,
                    "scripted failure",
                ));
            }
            self.written.extend_from_slice(&buf[..room]);
            if !self.failed {
                self.budget -= room;
            }
            n += room;
            if room < buf.len() {
                break;
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `Err` means the batch was not taken (retry it), `Ok` that it was (flush finishes it): either
/// way the peer gets every frame once. A 3-byte frame is pending before the batch (7 bytes on
/// the wire), so budgets up to 7 fail before any byte of the batch goes out.
#[test]
fn an_inner_error_mid_batch_loses_and_duplicates_nothing() {
    let codec = Codec::new();
    let before = vec![0u8; 3];
    let payloads = [
        vec![1u8; 20_000],
        vec![2u8; 5],
        vec![3u8; 30_000],
        vec![4u8; 3],
    ];
    for budget in [0, 3, 7, 8, 10, 20_011, 20_012, 20_020, 40_000, 50_024] {
        let inner = FailOnce {
            written: Vec::new(),
            budget,
            failed: false,
            vectored_calls: 0,
        };
        let mut writer = FrameWriter::with_codec(inner, codec.clone());
        writer.write_frame(&before).unwrap();
        match writer.write_frames(&payloads) {
            Err(e) => {
                assert_eq!(e.kind(), io::ErrorKind::BrokenPipe, "budget {budget}");
                assert!(
                    budget <= 7,
                    "budget {budget}: the batch had started, yet was refused"
                );
                assert_eq!(writer.pending(), 7 - budget, "budget {budget}");
                writer.write_frames(&payloads).unwrap(); // the retry
            }
            Ok(()) => assert!(budget > 7, "budget {budget}: the error was swallowed"),
        }
        writer.flush().unwrap();
        let inner = writer.into_inner().unwrap();
        let all: Vec<Vec<u8>> = [before.clone()]
            .into_iter()
            .chain(payloads.clone())
            .collect();
        assert_eq!(inner.written, expected(&codec, &all), "budget {budget}");
    }
}

#[test]
fn a_batch_of_large_frames_is_one_vectored_write() {
    let inner = FailOnce {
        written: Vec::new(),
        budget: 0,
        failed: true,
        vectored_calls: 0,
    };
    let mut writer = FrameWriter::new(inner);
    let big = vec![9u8; 65_536];
    writer.write_frames(&[&big, &big, &big]).unwrap();
    assert_eq!(writer.get_ref().vectored_calls, 1);
    assert_eq!(writer.get_ref().written.len(), 3 * (4 + 65_536));
}
