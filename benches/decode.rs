//! Throughput of lenframe's codec against tokio-util's `LengthDelimitedCodec`, measured in the
//! same run on the same bytes, and of the blocking adapters against raw TCP on loopback.
//!
//! `cargo bench --features tokio --bench decode`; README.md reports the ratios.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lenframe::io::{FrameReader, FrameWriter};
use lenframe::Codec;
use tokio_util::codec::{Decoder, Encoder, LengthDelimitedCodec};

/// Bytes of frames per iteration: enough to amortize setup, small enough for 2 cores.
const STREAM_BYTES: usize = 1 << 20;
const FRAME_SIZES: [usize; 3] = [16, 1024, 64 * 1024];
/// Read size for the chunked runs: a typical socket read.
const CHUNK: usize = 4096;

fn payloads(frame_size: usize) -> Vec<Bytes> {
    let count = (STREAM_BYTES / frame_size).max(1);
    (0..count)
        .map(|i| Bytes::from(vec![(i % 251) as u8; frame_size]))
        .collect()
}

fn wire(frames: &[Bytes]) -> BytesMut {
    let codec = Codec::new();
    let mut out = BytesMut::new();
    for frame in frames {
        codec
            .encode(frame, &mut out)
            .expect("frame fits the default layout");
    }
    out
}

/// Decodes every frame of `wire`, fed `chunk` bytes at a time, with any tokio-util decoder
/// (lenframe's `Codec` is one, with the `tokio` feature).
fn decode_all<D: Decoder<Item = impl AsRef<[u8]>>>(mut codec: D, wire: &[u8], chunk: usize) -> usize
where
    D::Error: std::fmt::Debug,
{
    let mut buf = BytesMut::with_capacity(chunk);
    let mut frames = 0;
    for piece in wire.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(frame) = codec.decode(&mut buf).expect("valid stream") {
            black_box(frame.as_ref());
            frames += 1;
        }
    }
    frames
}

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode");
    for size in FRAME_SIZES {
        let frames = payloads(size);
        let wire = wire(&frames);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        for (label, chunk) in [("whole", wire.len()), ("4KiB-reads", CHUNK)] {
            let id = format!("{size}B/{label}");
            group.bench_with_input(BenchmarkId::new("lenframe", &id), &wire, |b, w| {
                b.iter(|| assert_eq!(decode_all(Codec::new(), w, chunk), frames.len()));
            });
            group.bench_with_input(BenchmarkId::new("tokio-util", &id), &wire, |b, w| {
                b.iter(|| {
                    assert_eq!(
                        decode_all(LengthDelimitedCodec::new(), w, chunk),
                        frames.len()
                    )
                });
            });
        }
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    for size in FRAME_SIZES {
        let frames = payloads(size);
        group.throughput(Throughput::Bytes((frames.len() * (size + 4)) as u64));
        group.bench_with_input(BenchmarkId::new("lenframe", size), &frames, |b, frames| {
            let codec = Codec::new();
            let mut out = BytesMut::with_capacity(STREAM_BYTES * 2);
            b.iter(|| {
                out.clear();
                for frame in frames {
                    codec.encode(frame, &mut out).expect("fits");
                }
                black_box(out.len())
            });
        });
        group.bench_with_input(
            BenchmarkId::new("tokio-util", size),
            &frames,
            |b, frames| {
                let mut codec = LengthDelimitedCodec::new();
                let mut out = BytesMut::with_capacity(STREAM_BYTES * 2);
                b.iter(|| {
                    out.clear();
                    for frame in frames {
                        codec.encode(frame.clone(), &mut out).expect("fits");
                    }
                    black_box(out.len())
                });
            },
        );
    }
    group.finish();
}

/// A connected loopback pair.
fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let client = TcpStream::connect(listener.local_addr().expect("local addr")).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    client.set_nodelay(true).expect("nodelay");
    (client, server)
}

/// Sends `frames` through `FrameWriter` and reads them back with `FrameReader`.
fn tcp_lenframe(frames: &[Bytes]) -> usize {
    let (client, server) = tcp_pair();
    thread::scope(|s| {
        s.spawn(move || {
            let mut writer = FrameWriter::new(client);
            for frame in frames {
                writer.write_frame(frame).expect("write frame");
            }
            writer.flush().expect("flush");
        });
        let mut reader = FrameReader::new(server);
        let mut count = 0;
        while let Some(frame) = reader.read_frame().expect("read frame") {
            black_box(&frame);
            count += 1;
        }
        count
    })
}

/// The baseline: the same bytes over the same kind of socket with plain `write_all`/`read`.
fn tcp_raw(wire: &[u8]) -> usize {
    let (mut client, mut server) = tcp_pair();
    thread::scope(|s| {
        s.spawn(move || client.write_all(wire).expect("write"));
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0;
        loop {
            match server.read(&mut buf).expect("read") {
                0 => break total,
                n => total += n,
            }
        }
    })
}

fn tcp(c: &mut Criterion) {
    let mut group = c.benchmark_group("tcp-loopback");
    group.sample_size(20);
    for size in FRAME_SIZES {
        let frames = payloads(size);
        let wire = wire(&frames);
        group.throughput(Throughput::Bytes(wire.len() as u64));
        group.bench_with_input(BenchmarkId::new("raw-bytes", size), &wire, |b, w| {
            b.iter(|| assert_eq!(tcp_raw(w), w.len()));
        });
        group.bench_with_input(BenchmarkId::new("lenframe-io", size), &frames, |b, f| {
            b.iter(|| assert_eq!(tcp_lenframe(f), f.len()));
        });
    }
    group.finish();
}

criterion_group!(benches, decode, encode, tcp);
criterion_main!(benches);
