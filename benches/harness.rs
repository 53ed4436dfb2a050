//! What a check costs as its stream grows: every run of the harness (in one piece, in chunks,
//! with junk in front, cut short) must cost time linear in the stream, besides what the
//! decoder itself does.
//!
//! - `cut-every-byte/{slice parser, cursor parser}`: one message cut after every byte,
//!   `Checker::check` at default settings (junk in front of the cursor parser's input); 64 KiB
//!   against 1 KiB, the anchor: linear cost is about 64 times the anchor, a copy of the buffer
//!   per call 4096 times.
//! - `nom-style/{256 B, 1024 B}`: the fuzz input of that many random bytes through a parser
//!   that returns the rest of its input (IMAP-style literals, `{n}\r\n` then `n` bytes), with
//!   `Arbitrary` messages, `Checker::fuzz` at default settings; and `nom-style/run`, the
//!   property engine at default settings (256 cases, each from up to 256 random bytes).
//!
//! - `subjects/*`: the property engine at default settings (256 cases of 0 to 8 frames of up to
//!   32 bytes) on each kind of subject, correct, against `plain decoder` (lenframe's `Codec`
//!   on the same messages), the anchor: an async read loop under cancellation, the write side
//!   (`FrameWriter` on a non-blocking socket), a handoff between two `FramedRead` codecs; and
//!   `read_exact caught`, a planted read loop found and shrunk. Cases per second are 256 over
//!   the time of a run.
//!
//! ```sh
//! cargo bench --bench harness -- --warm-up-time 1 --measurement-time 3
//! ```

use std::hint::black_box;
use std::io::Cursor;

use bytes::{BufMut, BytesMut};
use criterion::{criterion_group, criterion_main, Criterion};
use lenframe::io::FrameWriter;
use lenframe::testkit::{
    async_reader, cursor_parser, handoff, parser, rest_parser, unexpected_eof, Checker, Plan,
    Writer,
};
use lenframe::Codec;
use proptest::strategy::Strategy;
use tokio_util::codec::FramedRead;

/// A 4-byte big-endian length, then the body: `None` until it is all there.
fn slice(input: &[u8]) -> Option<(Vec<u8>, usize)> {
    let len = usize::try_from(u32::from_be_bytes(input.get(..4)?.try_into().ok()?)).ok()?;
    let body = input.get(4..4 + len)?;
    Some((body.to_vec(), 4 + len))
}

/// The same, read from a cursor's position (as mini-redis does, the body's bytes counted
/// before it is read: a parser that allocated and zeroed the body on every call would cost
/// time quadratic in it itself).
fn cursor(cursor: &mut Cursor<&[u8]>) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut len = [0; 4];
    cursor.read_exact(&mut len)?;
    let len = usize::try_from(u32::from_be_bytes(len)).unwrap_or(usize::MAX);
    let at = usize::try_from(cursor.position()).unwrap_or(usize::MAX);
    if cursor.get_ref().len().saturating_sub(at) < len {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let mut body = vec![0; len];
    cursor.read_exact(&mut body)?;
    Ok(body)
}

#[allow(clippy::ptr_arg)] // an encoder of `Vec<u8>` messages takes `&Vec<u8>`
fn encode(body: &Vec<u8>, dst: &mut BytesMut) {
    dst.put_u32(u32::try_from(body.len()).unwrap());
    dst.put_slice(body);
}

/// An IMAP-style literal: `{n}\r\n`, then `n` bytes.
#[derive(Debug, PartialEq, arbitrary::Arbitrary)]
struct Literal(Vec<u8>);

#[derive(Debug, PartialEq)]
enum LiteralError {
    Incomplete,
    Malformed,
}

/// nom's shape: the literal and the rest of the input.
fn literal(input: &[u8]) -> Result<(&[u8], Literal), LiteralError> {
    let end = input
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(LiteralError::Incomplete)?;
    let head = input[..end]
        .strip_prefix(b"{")
        .and_then(|h| h.strip_suffix(b"}\r"))
        .ok_or(LiteralError::Malformed)?;
    let len: usize = std::str::from_utf8(head)
        .ok()
        .and_then(|digits| digits.parse().ok())
        .ok_or(LiteralError::Malformed)?;
    let body = input
        .get(end + 1..end + 1 + len)
        .ok_or(LiteralError::Incomplete)?;
    Ok((&input[end + 1 + len..], Literal(body.to_vec())))
}

fn encode_literal(literal: &Literal, dst: &mut BytesMut) {
    dst.put_slice(format!("{{{}}}\r\n", literal.0.len()).as_bytes());
    dst.put_slice(&literal.0);
}

/// Pseudo-random bytes, the same on every run.
fn random_bytes(n: usize) -> Vec<u8> {
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_le_bytes()[0]
        })
        .collect()
}

fn cut_every_byte(c: &mut Criterion) {
    let mut group = c.benchmark_group("cut-every-byte");
    group.sample_size(10);
    for size in [1024, 64 * 1024] {
        let message = vec![vec![0xA5; size]];
        let slices = Checker::new(parser(|| slice), encode, proptest::strategy::Just(vec![]));
        let every_byte = Plan::every_byte();
        group.bench_function(format!("slice parser/{} KiB", size / 1024), |b| {
            b.iter(|| slices.check(black_box(&message), &every_byte).unwrap());
        });
        let cursors = Checker::new(
            cursor_parser(|| cursor).incomplete_when(unexpected_eof),
            encode,
            proptest::strategy::Just(vec![]),
        );
        let mut with_junk = Plan::every_byte();
        with_junk.junk = 16;
        group.bench_function(format!("cursor parser/{} KiB", size / 1024), |b| {
            b.iter(|| cursors.check(black_box(&message), &with_junk).unwrap());
        });
    }
    group.finish();
}

fn nom_style(c: &mut Criterion) {
    let mut group = c.benchmark_group("nom-style");
    group.sample_size(10);
    let literals = Checker::arbitrary(
        rest_parser(|| literal).incomplete_when(|e: &LiteralError| *e == LiteralError::Incomplete),
        encode_literal,
    );
    for size in [256, 1024] {
        let mut input = Plan::every_byte().to_bytes();
        input.extend(random_bytes(size));
        group.bench_function(format!("{size} B"), |b| {
            b.iter(|| literals.fuzz(black_box(&input)));
        });
    }
    group.bench_function("run", |b| b.iter(|| literals.run().unwrap()));
    group.finish();
}

fn frame() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(proptest::num::u8::ANY, 0..32)
}

fn subjects(c: &mut Criterion) {
    use tokio::io::AsyncReadExt;
    let mut group = c.benchmark_group("subjects");
    group.sample_size(10);
    let plain = Checker::new(Codec::new, encode, frame());
    group.bench_function("plain decoder", |b| b.iter(|| plain.run().unwrap()));
    let cancel_safe = Checker::new(
        async_reader(|mut socket| {
            let (mut codec, mut buf) = (Codec::new(), BytesMut::new());
            async move || loop {
                if let Some(frame) = codec.decode(&mut buf)? {
                    return Ok::<_, std::io::Error>(Some(frame.to_vec()));
                }
                if socket.read_buf(&mut buf).await? == 0 {
                    let last = codec.decode_eof(&mut buf).map_err(std::io::Error::from)?;
                    return Ok(last.map(|frame| frame.to_vec()));
                }
            }
        }),
        encode,
        frame(),
    );
    group.bench_function("async reader", |b| b.iter(|| cancel_safe.run().unwrap()));
    let read_exact = Checker::new(
        async_reader(|mut socket| {
            async move || {
                let mut header = [0u8; 4];
                if socket.read(&mut header[..1]).await? == 0 {
                    return Ok::<_, std::io::Error>(None);
                }
                socket.read_exact(&mut header[1..]).await?;
                let mut body = vec![0; u32::from_be_bytes(header) as usize];
                socket.read_exact(&mut body).await?;
                Ok(Some(body))
            }
        }),
        encode,
        frame(),
    );
    group.bench_function("read_exact caught", |b| {
        b.iter(|| read_exact.run().unwrap_err())
    });
    let writer = Checker::for_writer(
        Writer::nonblocking(
            FrameWriter::new,
            |w, payload: &Vec<u8>| w.write_frame(payload),
            FrameWriter::flush,
        ),
        frame(),
    );
    group.bench_function("writer", |b| b.iter(|| writer.run().unwrap()));
    let handoffs = Checker::new(
        handoff(
            |socket| FramedRead::new(socket, Codec::new()),
            |frame: &bytes::Bytes| frame.is_empty(),
            |first| first.map_decoder(|_| Codec::new()),
        ),
        |frame: &Vec<u8>, dst: &mut BytesMut| encode(frame, dst),
        frame(),
    );
    group.bench_function("handoff", |b| b.iter(|| handoffs.run().unwrap()));
    group.finish();
}

criterion_group!(benches, cut_every_byte, nom_style, subjects);
criterion_main!(benches);
