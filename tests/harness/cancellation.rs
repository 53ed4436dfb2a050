//! Reads cancelled mid-message: `async_reader` drops the read at a planned `Pending` and calls
//! it again, as a losing `tokio::select!` branch does. Three bugs people ship (iroh #2572,
//! nteract #2182, pgwire-replication #6: a read built on `read_exact`, a `read_line` into a
//! local, a `BufReader` made afresh for each read), each caught at default settings from the
//! default seed and from 32 others, shrunk to at most two cuts and one cancel; and their correct
//! twins, which pass: a buffer that outlives the read, `FramedRead` over a codec (lenframe's
//! and as a `Stream`), and tokio's `read_until` into a buffer that outlives the read, which
//! tokio documents as cancel safe. tokio's `read_line`, which tokio documents as not cancel
//! safe, is caught even into a `String` that outlives the read.

use std::io;

use bytes::{Bytes, BytesMut};
use lenframe::testkit::{async_reader, framed, stream, Checker, Decoder, Failure, Truncation};
use lenframe::Codec;
use proptest::prelude::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio_util::codec::FramedRead;

fn frame() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..24).prop_map(Bytes::from)
}

fn encode(frame: &Bytes, dst: &mut BytesMut) {
    Codec::new()
        .encode(frame, dst)
        .expect("small frames encode");
}

fn line() -> impl Strategy<Value = String> {
    "[a-z]{0,12}"
}

fn encode_line(line: &String, dst: &mut BytesMut) {
    dst.extend_from_slice(line.as_bytes());
    dst.extend_from_slice(b"\n");
}

/// A line reader's checker: a last line may end with the stream, as `read_line` has it.
fn lines(decoder: Decoder<String>) -> Checker<String> {
    Checker::new(decoder, encode_line, line()).truncation(Truncation::AllowRest)
}

/// Reads a 4-byte length, then the body, with `read_exact`: right whatever the cuts, and not
/// cancel safe (the header or body read so far lives in the future).
async fn read_exact_frame<R: tokio::io::AsyncRead + Unpin>(r: &mut R) -> io::Result<Option<Bytes>> {
    let mut header = [0u8; 4];
    let first = r.read(&mut header).await?;
    if first == 0 {
        return Ok(None);
    }
    r.read_exact(&mut header[first..]).await?;
    let mut body = vec![0; u32::from_be_bytes(header) as usize];
    r.read_exact(&mut body).await?;
    Ok(Some(Bytes::from(body)))
}

/// Planted: the read loop of the issue reports, `read_exact` inside the read.
fn read_exact_reader() -> Decoder<Bytes> {
    async_reader(|mut socket| async move || read_exact_frame(&mut socket).await)
}

/// Planted: a `read_line` into a `String` made in each read.
fn local_line_reader() -> Decoder<String> {
    async_reader(|socket| {
        let mut lines = BufReader::new(socket);
        async move || {
            let mut line = String::new();
            match lines.read_line(&mut line).await? {
                0 => Ok::<_, io::Error>(None),
                _ => Ok(Some(line.trim_end_matches('\n').to_owned())),
            }
        }
    })
}

/// Planted: a `BufReader` made afresh in each read, and `read_exact` through it: the bytes it
/// read ahead go with it.
fn fresh_bufreader_reader() -> Decoder<Bytes> {
    async_reader(|mut socket| {
        async move || read_exact_frame(&mut BufReader::new(&mut socket)).await
    })
}

/// `read_line` into a `String` that outlives the read: tokio documents `read_line` as not
/// cancel safe whatever the `String` ("there are no guarantees regarding the contents of buf
/// when the call is cancelled; the current implementation replaces buf with the empty
/// string"), and it is caught.
fn kept_string_reader() -> Decoder<String> {
    async_reader(|socket| {
        let mut lines = BufReader::new(socket);
        let mut line = String::new();
        async move || {
            let read = lines.read_line(&mut line).await?;
            let done = std::mem::take(&mut line);
            match (read, done.is_empty()) {
                (0, true) => Ok::<_, io::Error>(None),
                _ => Ok(Some(done.trim_end_matches('\n').to_owned())),
            }
        }
    })
}

/// The twin of the `read_line` bug: `read_until` into a buffer that outlives the read, which
/// tokio documents as cancel safe (what was read before a cancel stays in the buffer).
fn kept_buffer_reader() -> Decoder<String> {
    async_reader(|socket| {
        let mut lines = BufReader::new(socket);
        let mut line = Vec::new();
        async move || {
            lines.read_until(b'\n', &mut line).await?;
            if line.is_empty() {
                return Ok::<_, io::Error>(None);
            }
            let done = std::mem::take(&mut line);
            let text = String::from_utf8_lossy(&done);
            Ok(Some(text.trim_end_matches('\n').to_owned()))
        }
    })
}

/// The twin of the `read_exact` bug: the bytes read stay in a buffer the closure owns.
fn buffered_reader() -> Decoder<Bytes> {
    async_reader(|mut socket| {
        let (mut codec, mut buf) = (Codec::new(), BytesMut::new());
        async move || loop {
            if let Some(frame) = codec.decode(&mut buf)? {
                return Ok(Some(frame));
            }
            if socket.read_buf(&mut buf).await? == 0 {
                return codec.decode_eof(&mut buf).map_err(io::Error::from);
            }
        }
    })
}

/// A cancellation failure as the issue asks: in chunks, with a cancel, at most two cuts.
fn assert_small_cancel<M: std::fmt::Debug>(failure: &Failure<M>) {
    assert!(
        failure.plan.cancel_at.is_some(),
        "caught without a cancel: {failure}"
    );
    assert!(
        failure.cuts().len() <= 2,
        "{} cuts: {failure}",
        failure.cuts().len()
    );
    assert!(
        failure
            .to_string()
            .contains("the read cancelled at its Pending number"),
        "{failure}"
    );
}

#[test]
fn a_read_exact_read_loop_is_caught_losing_a_cancelled_header() {
    let failure = Checker::new(read_exact_reader(), encode, frame())
        .run()
        .expect_err("caught");
    eprintln!("{failure}");
    assert_small_cancel(&failure);
    assert!(failure.messages.len() <= 2, "{failure}");
    // Without cancellation the same reader is right: only the cancel breaks it.
    let mut uncancelled = failure.plan.clone();
    uncancelled.cancel_at = None;
    let checker = Checker::new(read_exact_reader(), encode, frame());
    assert!(checker.check(&failure.messages, &uncancelled).is_ok());
    assert!(checker.check(&failure.messages, &failure.plan).is_err());
}

#[test]
fn a_read_line_into_a_local_string_is_caught() {
    let failure = lines(local_line_reader()).run().expect_err("caught");
    eprintln!("{failure}");
    assert_small_cancel(&failure);
}

#[test]
fn a_bufreader_made_for_each_read_is_caught() {
    let failure = Checker::new(fresh_bufreader_reader(), encode, frame())
        .run()
        .expect_err("caught");
    eprintln!("{failure}");
    // It loses read-ahead even uncancelled: caught at once, with no cut and no cancel needed.
    assert!(failure.cuts().len() <= 2, "{failure}");
    assert_eq!(failure.plan.cancel_at, None, "{failure}");
}

#[test]
fn each_cancellation_bug_is_caught_from_32_other_seeds() {
    for seed in 1..=32 {
        let checker = Checker::new(read_exact_reader(), encode, frame()).seed(seed);
        let failure = checker.run().expect_err("read_exact caught");
        assert_small_cancel(&failure);
        let checker = lines(local_line_reader()).seed(seed);
        let failure = checker.run().expect_err("read_line caught");
        assert_small_cancel(&failure);
        let checker = Checker::new(fresh_bufreader_reader(), encode, frame()).seed(seed);
        assert!(checker.run().is_err(), "seed {seed}: BufReader caught");
    }
}

#[test]
fn a_mapped_async_reader_is_still_cancelled() {
    let mapped = read_exact_reader().map(|frame: Bytes| frame);
    let failure = Checker::new(mapped, encode, frame())
        .run()
        .expect_err("caught");
    assert_small_cancel(&failure);
}

/// Each run's polls are bounded by its chunks and its messages: many messages in one read are
/// all polled out of a stream and an async reader.
#[test]
fn sixty_four_messages_in_one_read_are_all_decoded() {
    let frames: Vec<Bytes> = (0..64u8).map(|i| Bytes::from(vec![i; 3])).collect();
    let one_read = lenframe::testkit::Plan::default();
    for decoder in [
        buffered_reader(),
        framed(Codec::new),
        stream(|socket| FramedRead::new(socket, Codec::new())),
    ] {
        Checker::new(decoder, encode, frame())
            .check(&frames, &one_read)
            .unwrap();
    }
}

#[test]
fn cancel_safe_readers_pass() {
    Checker::new(buffered_reader(), encode, frame()).assert();
    lines(kept_buffer_reader()).assert();
    Checker::new(framed(Codec::new), encode, frame()).assert();
    Checker::new(
        stream(|socket| FramedRead::new(socket, Codec::new())),
        encode,
        frame(),
    )
    .assert();
}

/// A real reader from another crate: tokio's `BufReader::read_line`, in a read loop that keeps
/// its `String` across reads, is caught losing a line's start under cancellation, as tokio's
/// documentation warns; `read_until` into a kept buffer passes above.
#[test]
fn tokios_read_line_is_caught_not_cancel_safe_even_into_a_kept_string() {
    let failure = lines(kept_string_reader()).run().expect_err("caught");
    eprintln!("{failure}");
    assert_small_cancel(&failure);
}

#[test]
fn a_cancel_point_replays_from_its_fuzz_input() {
    let failure = Checker::new(read_exact_reader(), encode, frame())
        .run()
        .expect_err("caught");
    let input = failure.input.clone().expect("the failing input");
    let report = crate::fuzz_report(&Checker::new(read_exact_reader(), encode, frame()), &input)
        .expect("the input fails again under the fuzz engine");
    assert!(report.contains("cancelled"), "{report}");
}
