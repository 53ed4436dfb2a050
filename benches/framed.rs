//! tokio's `Framed` over loopback TCP (127.0.0.1), lenframe's `Codec` against tokio-util's
//! `LengthDelimitedCodec` in the same run, on the same bytes and layout (4-byte big-endian
//! length): a writer task sending frames with `SinkExt::feed` and one `flush` per iteration, the
//! benchmark reading them with `StreamExt::next`. One connection per benchmark, kept open across
//! iterations, `TCP_NODELAY` on the writer; a multi-threaded runtime with 2 workers.
//!
//! - `framed-16B`: 8192 frames of 16 bytes per iteration.
//! - `framed-64KiB`: 64 frames of 64 KiB per iteration.
//!
//! `cargo bench --bench framed -- --warm-up-time 1 --measurement-time 3`

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio_util::codec::{Decoder, Encoder, FramedRead, FramedWrite, LengthDelimitedCodec};

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
}

/// One connection: a writer task that sends `count` frames of `payload` per requested
/// iteration, and the reading half.
struct Link<D> {
    iterations: mpsc::UnboundedSender<u64>,
    reader: FramedRead<TcpStream, D>,
    count: usize,
    size: usize,
}

impl<D> Link<D>
where
    D: Decoder + Send + 'static,
    D::Item: AsRef<[u8]>,
    D::Error: std::fmt::Debug,
{
    async fn open<E>(encoder: E, decoder: D, size: usize, count: usize) -> Link<D>
    where
        E: Encoder<Bytes> + Send + 'static,
        E::Error: std::fmt::Debug,
    {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let client = TcpStream::connect(listener.local_addr().expect("local addr"))
            .await
            .expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        client.set_nodelay(true).expect("nodelay");
        let (iterations, mut rx) = mpsc::unbounded_channel::<u64>();
        let payload = Bytes::from((0..size).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
        tokio::spawn(async move {
            let mut writer = FramedWrite::new(client, encoder);
            while let Some(iters) = rx.recv().await {
                for _ in 0..iters * count as u64 {
                    writer.feed(payload.clone()).await.expect("feed");
                }
                writer.flush().await.expect("flush");
            }
        });
        Link {
            iterations,
            reader: FramedRead::new(server, decoder),
            count,
            size,
        }
    }

    async fn run(&mut self, iters: u64) -> Duration {
        let start = Instant::now();
        self.iterations.send(iters).expect("writer alive");
        for _ in 0..iters * self.count as u64 {
            let frame = self
                .reader
                .next()
                .await
                .expect("a frame")
                .expect("a valid frame");
            assert_eq!(frame.as_ref().len(), self.size);
        }
        start.elapsed()
    }
}

fn bench(c: &mut Criterion, group_name: &str, size: usize, count: usize) {
    let rt = runtime();
    let mut group = c.benchmark_group(group_name);
    group.sample_size(20);
    group.throughput(Throughput::ElementsAndBytes {
        elements: count as u64,
        bytes: (count * (4 + size)) as u64,
    });
    group.bench_function(BenchmarkId::new("lenframe", size), |b| {
        let mut link = rt.block_on(Link::open(
            lenframe::Codec::new(),
            lenframe::Codec::new(),
            size,
            count,
        ));
        b.iter_custom(|iters| rt.block_on(link.run(iters)));
    });
    group.bench_function(BenchmarkId::new("tokio-util", size), |b| {
        let mut link = rt.block_on(Link::open(
            LengthDelimitedCodec::new(),
            LengthDelimitedCodec::new(),
            size,
            count,
        ));
        b.iter_custom(|iters| rt.block_on(link.run(iters)));
    });
    group.finish();
}

fn small_frames(c: &mut Criterion) {
    bench(c, "framed-16B", 16, 8192);
}

fn large_frames(c: &mut Criterion) {
    bench(c, "framed-64KiB", 64 * 1024, 64);
}

criterion_group!(benches, small_frames, large_frames);
criterion_main!(benches);
