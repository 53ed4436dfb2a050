//! The sans-IO codec against tokio-util's `LengthDelimitedCodec`, in the same run, on the same
//! bytes, with the same layout (4-byte big-endian length, the default of both):
//!
//! - `decode`: a buffer already holding about 1 MiB of frames, decoded to the end by lenframe's
//!   owned path (`Codec::decode`, a `Bytes` per frame), its borrowed path (`Codec::frames`, a
//!   `&[u8]` per frame) and tokio-util (a `BytesMut` per frame). Filling the buffer is setup,
//!   outside the timing.
//! - `decode-4KiB-reads`: the same stream arriving 4 KiB at a time, appended to the buffer as a
//!   socket read would be, the copy timed; the borrowed path keeps the unconsumed tail in a
//!   `Vec` itself.
//! - `encode`: the same frames written into one buffer with room for twice the stream, so that
//!   neither codec reallocates (lenframe reserves the widest header, 10 bytes, up front).
//!
//! Frames of 0, 16, 256, 4096 and 65536 bytes. Throughput is counted in frames and wire bytes;
//! `benches/scripts/bench_report.py` turns the results into `docs/bench.md` and `docs/bench.png`.
//!
//! `cargo bench --bench codec -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use lenframe::Codec;
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec};

/// Payload sizes compared.
const FRAME_SIZES: [usize; 5] = [0, 16, 256, 4096, 65536];
/// Wire bytes per iteration, about: enough frames to amortize setup, small enough for 2 cores.
const STREAM_BYTES: usize = 1 << 20;
/// The default layout's header.
const HEADER: usize = 4;
/// Read size for the chunked runs: a typical socket read.
const CHUNK: usize = 4096;

/// The stream for one frame size: `count` frames of `size` bytes, encoded.
struct Stream {
    count: usize,
    payload: Vec<u8>,
    wire: Vec<u8>,
}

impl Stream {
    fn new(size: usize) -> Stream {
        let count = (STREAM_BYTES / (size + HEADER)).max(16);
        let payload: Vec<u8> = (0..size).map(|i| (i % 251) as u8).collect();
        let codec = Codec::new();
        let mut wire = BytesMut::with_capacity(count * (size + HEADER));
        for _ in 0..count {
            codec
                .encode(&payload, &mut wire)
                .expect("frame fits the default layout");
        }
        Stream {
            count,
            payload,
            wire: wire.to_vec(),
        }
    }

    fn throughput(&self) -> Throughput {
        Throughput::ElementsAndBytes {
            elements: self.count as u64,
            bytes: self.wire.len() as u64,
        }
    }
}

/// Counts the frames `next` takes off `buf`, checking each frame's length.
fn drain_owned<F: AsRef<[u8]>>(
    buf: &mut BytesMut,
    size: usize,
    mut next: impl FnMut(&mut BytesMut) -> Option<F>,
) -> usize {
    let mut frames = 0;
    while let Some(frame) = next(buf) {
        debug_assert_eq!(frame.as_ref().len(), size);
        black_box(frame.as_ref());
        frames += 1;
    }
    frames
}

/// Feeds `wire` in `CHUNK`-byte reads into a fresh buffer, draining whole frames after each.
fn chunked_owned<F: AsRef<[u8]>>(
    wire: &[u8],
    size: usize,
    mut next: impl FnMut(&mut BytesMut) -> Option<F>,
) -> usize {
    let mut buf = BytesMut::with_capacity(CHUNK);
    let mut frames = 0;
    for piece in wire.chunks(CHUNK) {
        buf.extend_from_slice(piece);
        frames += drain_owned(&mut buf, size, &mut next);
    }
    frames
}

fn lenframe_owned(codec: &mut Codec) -> impl FnMut(&mut BytesMut) -> Option<bytes::Bytes> + '_ {
    |buf| codec.decode(buf).expect("valid stream")
}

fn tokio_util(
    codec: &mut LengthDelimitedCodec,
) -> impl FnMut(&mut BytesMut) -> Option<BytesMut> + '_ {
    |buf| codec.decode(buf).expect("valid stream")
}

/// Counts the frames `Codec::frames` borrows from `wire`, checking each frame's length.
fn borrowed(codec: &mut Codec, wire: &[u8], size: usize) -> (usize, usize) {
    let mut frames = codec.frames(wire);
    let mut count = 0;
    for frame in &mut frames {
        let frame = frame.expect("valid stream");
        debug_assert_eq!(frame.len(), size);
        black_box(frame);
        count += 1;
    }
    (count, frames.consumed())
}

/// Feeds `wire` in `CHUNK`-byte reads into a `Vec` the caller manages: append, borrow the whole
/// frames, drop the bytes they used.
fn chunked_borrowed(codec: &mut Codec, wire: &[u8], size: usize) -> usize {
    let mut buf = Vec::with_capacity(CHUNK);
    let mut count = 0;
    for piece in wire.chunks(CHUNK) {
        buf.extend_from_slice(piece);
        let (frames, consumed) = borrowed(codec, &buf, size);
        count += frames;
        buf.drain(..consumed);
    }
    count
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for size in FRAME_SIZES {
        let stream = Stream::new(size);
        group.throughput(stream.throughput());
        let fill = || BytesMut::from(&stream.wire[..]);
        group.bench_function(BenchmarkId::new("lenframe-owned", size), |b| {
            let mut codec = Codec::new();
            b.iter_batched_ref(
                fill,
                |buf| {
                    assert_eq!(
                        drain_owned(buf, size, lenframe_owned(&mut codec)),
                        stream.count
                    )
                },
                BatchSize::LargeInput,
            );
        });
        group.bench_function(BenchmarkId::new("lenframe-borrowed", size), |b| {
            let mut codec = Codec::new();
            b.iter(|| {
                assert_eq!(
                    borrowed(&mut codec, &stream.wire, size),
                    (stream.count, stream.wire.len())
                );
            });
        });
        group.bench_function(BenchmarkId::new("tokio-util", size), |b| {
            let mut codec = LengthDelimitedCodec::new();
            b.iter_batched_ref(
                fill,
                |buf| assert_eq!(drain_owned(buf, size, tokio_util(&mut codec)), stream.count),
                BatchSize::LargeInput,
            );
        });
    }
    group.finish();
}

fn decode_chunked(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode-4KiB-reads");
    for size in FRAME_SIZES {
        let stream = Stream::new(size);
        group.throughput(stream.throughput());
        group.bench_function(BenchmarkId::new("lenframe-owned", size), |b| {
            let mut codec = Codec::new();
            b.iter(|| {
                assert_eq!(
                    chunked_owned(&stream.wire, size, lenframe_owned(&mut codec)),
                    stream.count
                );
            });
        });
        group.bench_function(BenchmarkId::new("lenframe-borrowed", size), |b| {
            let mut codec = Codec::new();
            b.iter(|| {
                assert_eq!(
                    chunked_borrowed(&mut codec, &stream.wire, size),
                    stream.count
                );
            });
        });
        group.bench_function(BenchmarkId::new("tokio-util", size), |b| {
            let mut codec = LengthDelimitedCodec::new();
            b.iter(|| {
                assert_eq!(
                    chunked_owned(&stream.wire, size, tokio_util(&mut codec)),
                    stream.count
                );
            });
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for size in FRAME_SIZES {
        let stream = Stream::new(size);
        group.throughput(stream.throughput());
        let payload = &stream.payload[..];
        group.bench_function(BenchmarkId::new("lenframe", size), |b| {
            let codec = Codec::new();
            let mut out = BytesMut::with_capacity(2 * stream.wire.len());
            b.iter(|| {
                out.clear();
                for _ in 0..stream.count {
                    codec.encode(black_box(payload), &mut out).expect("fits");
                }
                assert_eq!(out.len(), stream.wire.len());
            });
        });
        group.bench_function(BenchmarkId::new("tokio-util", size), |b| {
            let mut codec = LengthDelimitedCodec::new();
            let mut out = BytesMut::with_capacity(2 * stream.wire.len());
            b.iter(|| {
                out.clear();
                for _ in 0..stream.count {
                    codec.encode(black_box(payload), &mut out).expect("fits");
                }
                assert_eq!(out.len(), stream.wire.len());
            });
        });
    }
    group.finish();
}

criterion_group!(benches, decode, decode_chunked, encode);
criterion_main!(benches);
