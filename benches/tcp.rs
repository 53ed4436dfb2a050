//! Framing over loopback TCP (127.0.0.1) against the same bytes sent raw, in the same run: a
//! writer thread and a reader thread (the benchmark's own), one connection per benchmark, kept
//! open across iterations, `TCP_NODELAY` set on the writer as for every variant.
//!
//! - `tcp-64KiB`: 64 frames of 64 KiB (4 MiB) per iteration; throughput in bytes.
//!   `raw`: one `write_all` of the encoded stream, the reader counting bytes in 64 KiB reads, no
//!   framing at all. `raw-per-frame`: the same bytes and reader, one `write_all` per frame's
//!   bytes, as an application writing each message when it has it. `lenframe-io`:
//!   `FrameWriter::write_frame` per frame, `FrameReader::read_frame` per frame. `lenframe-io-batch`:
//!   one `FrameWriter::write_frames` for the 64 frames (one vectored write), the same reader.
//!   `write-frame-raw-reader` and `raw-per-frame-frame-reader`: each half of `lenframe-io` alone
//!   against `raw-per-frame` (the writer with the raw reader, the raw writer with the reader).
//! - `tcp-16B`: 8192 frames of 16 bytes per iteration; throughput in frames. `raw` and
//!   `lenframe-io` as above; `lenframe-io-borrowed`: the same writer, frames read with
//!   `FrameReader::read_frame_ref` (borrowed, no `Bytes`); `write-per-frame`: each frame encoded
//!   and sent with its own `write_all`, one syscall per frame (the tutorial's way), read with
//!   `read_frame_ref` too, so that against `lenframe-io-borrowed` only the writer differs.
//!
//! `cargo bench --bench tcp -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use lenframe::io::{FrameReader, FrameWriter};
use lenframe::Codec;

/// A connected loopback pair: (writer's end, reader's end).
fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let client = TcpStream::connect(listener.local_addr().expect("local addr")).expect("connect");
    let (server, _) = listener.accept().expect("accept");
    client.set_nodelay(true).expect("nodelay");
    (client, server)
}

/// What one iteration sends: `count` frames of `size` bytes.
#[derive(Clone, Copy)]
struct Load {
    size: usize,
    count: usize,
}

impl Load {
    fn payload(self) -> Vec<u8> {
        (0..self.size).map(|i| (i % 251) as u8).collect()
    }

    fn wire(self) -> Vec<u8> {
        let codec = Codec::new();
        let payload = self.payload();
        let mut wire = BytesMut::new();
        for _ in 0..self.count {
            codec.encode(&payload, &mut wire).expect("fits");
        }
        wire.to_vec()
    }
}

/// How the writer thread sends one iteration's frames.
#[derive(Clone, Copy)]
enum Sender {
    /// The encoded stream in one `write_all`.
    Raw,
    /// The encoded stream, one `write_all` per frame's bytes (no framing layer).
    RawPerFrame,
    /// `FrameWriter::write_frame` per frame, one flush per iteration.
    Framed,
    /// One `FrameWriter::write_frames` for the iteration's frames, one flush.
    FramedBatch,
    /// Each frame encoded alone and sent with its own `write_all`.
    WritePerFrame,
}

/// How the benchmark thread receives one iteration.
#[derive(Clone, Copy)]
enum Receiver {
    /// Counts bytes in 64 KiB reads.
    Raw,
    /// `FrameReader::read_frame` per frame.
    Framed,
    /// `FrameReader::read_frame_ref` per frame.
    FramedBorrowed,
}

/// Runs `iters` iterations over one connection; returns the time from the writer's start to
/// the reader's last byte. The writer thread lives for the whole benchmark: each batch is one
/// message on a channel.
struct Link {
    batches: Option<mpsc::Sender<u64>>,
    writer: Option<thread::JoinHandle<()>>,
    reader: Reader,
    load: Load,
    wire_len: usize,
}

#[allow(clippy::large_enum_variant)] // one per connection, made once: no copies to save
enum Reader {
    Raw {
        stream: TcpStream,
        buf: Vec<u8>,
    },
    /// The reader, and whether it lends frames (`read_frame_ref`).
    Framed(FrameReader<TcpStream>, bool),
}

impl Link {
    fn new(load: Load, sender: Sender, receiver: Receiver) -> Link {
        let (client, server) = tcp_pair();
        let wire = load.wire();
        let wire_len = wire.len();
        let payload = load.payload();
        let (batches, rx) = mpsc::channel::<u64>();
        let writer = thread::spawn(move || {
            let mut raw = client.try_clone().expect("clone stream");
            let mut framed = FrameWriter::new(client);
            let codec = Codec::new();
            let mut one = BytesMut::new();
            let batch = vec![&payload[..]; load.count];
            for iters in rx {
                for _ in 0..iters {
                    match sender {
                        Sender::Raw => raw.write_all(&wire).expect("write"),
                        Sender::RawPerFrame => {
                            for frame in wire.chunks(wire.len() / load.count) {
                                raw.write_all(frame).expect("write");
                            }
                        }
                        Sender::FramedBatch => {
                            framed.write_frames(&batch).expect("write frames");
                            framed.flush().expect("flush");
                        }
                        Sender::Framed => {
                            for _ in 0..load.count {
                                framed.write_frame(&payload).expect("write frame");
                            }
                            framed.flush().expect("flush");
                        }
                        Sender::WritePerFrame => {
                            for _ in 0..load.count {
                                one.clear();
                                codec.encode(&payload, &mut one).expect("fits");
                                raw.write_all(&one).expect("write");
                            }
                        }
                    }
                }
            }
        });
        let reader = match receiver {
            Receiver::Raw => Reader::Raw {
                stream: server,
                buf: vec![0; 64 * 1024],
            },
            Receiver::Framed => Reader::Framed(FrameReader::new(server), false),
            Receiver::FramedBorrowed => Reader::Framed(FrameReader::new(server), true),
        };
        Link {
            batches: Some(batches),
            writer: Some(writer),
            reader,
            load,
            wire_len,
        }
    }

    fn run(&mut self, iters: u64) -> Duration {
        let start = Instant::now();
        self.batches
            .as_ref()
            .expect("open until dropped")
            .send(iters)
            .expect("writer alive");
        let iters = usize::try_from(iters).expect("iteration count fits usize");
        match &mut self.reader {
            Reader::Raw { stream, buf } => {
                let mut left = iters * self.wire_len;
                while left > 0 {
                    let n = stream.read(&mut buf[..]).expect("read");
                    assert!(n > 0, "writer closed early");
                    left -= n;
                }
            }
            Reader::Framed(reader, false) => {
                for _ in 0..iters * self.load.count {
                    let frame = reader.read_frame().expect("read frame").expect("a frame");
                    debug_assert_eq!(frame.len(), self.load.size);
                    black_box(&frame);
                }
            }
            Reader::Framed(reader, true) => {
                for _ in 0..iters * self.load.count {
                    let frame = reader
                        .read_frame_ref()
                        .expect("read frame")
                        .expect("a frame");
                    debug_assert_eq!(frame.len(), self.load.size);
                    black_box(frame);
                }
            }
        }
        start.elapsed()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        drop(self.batches.take());
        if let Some(writer) = self.writer.take() {
            writer.join().expect("writer thread");
        }
    }
}

fn bench(c: &mut Criterion, group_name: &str, load: Load, variants: &[(&str, Sender, Receiver)]) {
    let mut group = c.benchmark_group(group_name);
    group.sample_size(20);
    let wire_len = load.wire().len();
    group.throughput(Throughput::ElementsAndBytes {
        elements: load.count as u64,
        bytes: wire_len as u64,
    });
    for &(name, sender, receiver) in variants {
        group.bench_function(BenchmarkId::new(name, load.size), |b| {
            let mut link = Link::new(load, sender, receiver);
            b.iter_custom(|iters| link.run(iters));
        });
    }
    group.finish();
}

fn large_frames(c: &mut Criterion) {
    bench(
        c,
        "tcp-64KiB",
        Load {
            size: 64 * 1024,
            count: 64,
        },
        &[
            ("raw", Sender::Raw, Receiver::Raw),
            ("raw-per-frame", Sender::RawPerFrame, Receiver::Raw),
            ("lenframe-io", Sender::Framed, Receiver::Framed),
            ("lenframe-io-batch", Sender::FramedBatch, Receiver::Framed),
            // Each half alone against raw-per-frame: the writer with the raw reader, the raw
            // writer with the reader.
            ("write-frame-raw-reader", Sender::Framed, Receiver::Raw),
            (
                "raw-per-frame-frame-reader",
                Sender::RawPerFrame,
                Receiver::Framed,
            ),
        ],
    );
}

fn small_frames(c: &mut Criterion) {
    bench(
        c,
        "tcp-16B",
        Load {
            size: 16,
            count: 8192,
        },
        &[
            ("raw", Sender::Raw, Receiver::Raw),
            ("lenframe-io", Sender::Framed, Receiver::Framed),
            (
                "lenframe-io-borrowed",
                Sender::Framed,
                Receiver::FramedBorrowed,
            ),
            (
                "write-per-frame",
                Sender::WritePerFrame,
                Receiver::FramedBorrowed,
            ),
        ],
    );
}

criterion_group!(benches, large_frames, small_frames);
criterion_main!(benches);
