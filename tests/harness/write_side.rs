//! The write side: `Checker::for_writer` writes the messages to a peer that takes everything,
//! then to one that takes short writes and fails with `Interrupted` and `WouldBlock` (async:
//! `Pending`), and the second peer must receive the first's bytes. Four bugs people ship
//! (zstd-rs #25, vector #12871, integer-encoding #19): `write` for `write_all`, a buffer
//! overwritten before it was flushed, `Interrupted` taken as fatal, a retry after `WouldBlock`
//! that sends a frame's start again; each caught at default settings from the default seed and
//! from 32 others. Their correct twins pass: lenframe's `FrameWriter`, std's and tokio's
//! `BufWriter`, tokio-util's `FramedWrite`.

use std::io::{self, BufWriter, Write};

use bytes::{Bytes, BytesMut};
use futures_util::SinkExt;
use lenframe::io::FrameWriter;
use lenframe::testkit::{Checker, Failure, Fault, Run, Socket, Writer};
use lenframe::Codec;
use proptest::prelude::*;
use tokio_util::codec::{FramedWrite, LengthDelimitedCodec};

fn payload() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..40)
}

fn framed(payload: &[u8]) -> Vec<u8> {
    let mut wire = BytesMut::new();
    Codec::new()
        .encode(payload, &mut wire)
        .expect("small payloads encode");
    wire.to_vec()
}

/// Planted: `write` where `write_all` was meant; a short write loses the rest.
fn write_not_write_all() -> Writer<Vec<u8>> {
    Writer::blocking(
        |socket: Socket| socket,
        |socket, payload: &Vec<u8>| socket.write(&framed(payload)).map(drop),
        Socket::flush,
    )
}

/// Planted: a loop over `write` that returns on any error, `Interrupted` included.
fn interrupted_is_fatal() -> Writer<Vec<u8>> {
    Writer::blocking(
        |socket: Socket| socket,
        |socket, payload: &Vec<u8>| {
            let wire = framed(payload);
            let mut at = 0;
            while at < wire.len() {
                at += socket.write(&wire[at..])?;
            }
            Ok(())
        },
        Socket::flush,
    )
}

/// A writer that keeps what the socket did not take for later, in one buffer.
struct Pending {
    socket: Socket,
    buf: Vec<u8>,
    /// Planted: a new message replaces the buffer instead of joining what is still unsent.
    overwrite: bool,
}

impl Pending {
    fn write_message(&mut self, payload: &[u8]) -> io::Result<()> {
        if self.overwrite {
            self.buf.clear();
        }
        self.buf.extend_from_slice(&framed(payload));
        match self.push() {
            // The rest waits in `buf` for the next write or the flush.
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            other => other,
        }
    }

    fn push(&mut self) -> io::Result<()> {
        while !self.buf.is_empty() {
            match self.socket.write(&self.buf) {
                Ok(n) => {
                    self.buf.drain(..n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

fn pending_writer(overwrite: bool) -> Writer<Vec<u8>> {
    Writer::nonblocking(
        move |socket| Pending {
            socket,
            buf: Vec::new(),
            overwrite,
        },
        |w, payload: &Vec<u8>| w.write_message(payload),
        Pending::push,
    )
}

/// Planted: the header and the body each with `write_all`; a `WouldBlock` in the body returns
/// the error, and the retry writes the header again.
fn header_sent_twice() -> Writer<Vec<u8>> {
    Writer::nonblocking(
        |socket: Socket| socket,
        |socket, payload: &Vec<u8>| {
            socket.write_all(&(payload.len() as u32).to_be_bytes())?;
            socket.write_all(payload)
        },
        Socket::flush,
    )
}

fn frame_writer() -> Writer<Vec<u8>> {
    Writer::nonblocking(
        FrameWriter::new,
        |w, payload: &Vec<u8>| w.write_frame(payload),
        FrameWriter::flush,
    )
}

fn caught(writer: fn() -> Writer<Vec<u8>>, seed: Option<u64>) -> Box<Failure<Vec<u8>>> {
    let mut checker = Checker::for_writer(writer(), payload());
    if let Some(seed) = seed {
        checker = checker.seed(seed);
    }
    checker.run().expect_err("the planted bug must be caught")
}

#[test]
fn write_for_write_all_is_caught_losing_bytes() {
    let failure = caught(write_not_write_all, None);
    eprintln!("{failure}");
    assert_eq!(failure.run, Run::Written);
    assert!(
        matches!(failure.fault, Fault::BytesDiffer { .. }),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 1, "{failure}");
    let report = failure.to_string();
    assert!(
        report.starts_with(
            "writing to a peer that takes everything was right, but under the plan the writer \
             sent other bytes than in the polite run, from byte"
        ),
        "{report}"
    );
    assert!(report.contains("received under the plan ("), "{report}");
}

#[test]
fn interrupted_taken_as_fatal_is_caught() {
    let failure = caught(interrupted_is_fatal, None);
    eprintln!("{failure}");
    assert!(
        matches!(&failure.fault, Fault::WriterFailed { error, .. } if error.contains("Interrupted")),
        "{failure}"
    );
    assert!(failure.plan.interrupt_every >= 2, "{failure}");
}

#[test]
fn a_buffer_overwritten_before_its_flush_is_caught() {
    let failure = caught(|| pending_writer(true), None);
    eprintln!("{failure}");
    assert!(
        matches!(failure.fault, Fault::BytesDiffer { .. }),
        "{failure}"
    );
    assert!(failure.plan.would_block_every >= 2, "{failure}");
    assert_eq!(failure.messages.len(), 2, "two messages: {failure}");
}

#[test]
fn a_retry_after_would_block_that_sends_the_header_again_is_caught() {
    let failure = caught(header_sent_twice, None);
    eprintln!("{failure}");
    assert!(
        matches!(failure.fault, Fault::BytesDiffer { .. }),
        "{failure}"
    );
    assert!(failure.plan.would_block_every >= 2, "{failure}");
    let written = failure.written.as_ref().expect("the bytes received");
    assert!(
        written.len() > failure.stream.len(),
        "bytes sent twice: {failure}"
    );
}

#[test]
fn each_write_bug_is_caught_from_32_other_seeds() {
    for seed in 1..=32 {
        for (name, writer) in [
            ("write", write_not_write_all as fn() -> Writer<Vec<u8>>),
            ("Interrupted", interrupted_is_fatal),
            ("overwrite", || pending_writer(true)),
            ("header twice", header_sent_twice),
        ] {
            let checker = Checker::for_writer(writer(), payload()).seed(seed);
            assert!(checker.run().is_err(), "seed {seed}: {name} not caught");
        }
    }
}

#[test]
fn correct_writers_pass() {
    // The planted buffer's twin: the new message joins what is still unsent.
    Checker::for_writer(pending_writer(false), payload()).assert();
    Checker::for_writer(frame_writer(), payload()).assert();
    // Over a blocking socket, `write_all` (through std's `BufWriter` too) is right.
    let buffered = Writer::blocking(
        BufWriter::new,
        |w, payload: &Vec<u8>| w.write_all(&framed(payload)),
        BufWriter::flush,
    );
    Checker::for_writer(buffered, payload()).assert();
    use tokio::io::AsyncWriteExt;
    let tokio_buffered = Writer::from_async(
        tokio::io::BufWriter::new,
        async |w, payload: &Vec<u8>| w.write_all(&framed(payload)).await,
        async |w| w.flush().await,
    );
    Checker::for_writer(tokio_buffered, payload()).assert();
    let sink = Writer::from_async(
        |socket| FramedWrite::new(socket, LengthDelimitedCodec::new()),
        async |w, payload: &Vec<u8>| w.feed(Bytes::copy_from_slice(payload)).await,
        async |w| SinkExt::<Bytes>::flush(w).await,
    );
    Checker::for_writer(sink, payload()).assert();
    let lenframe_sink = Writer::from_async(
        |socket| FramedWrite::new(socket, Codec::new()),
        async |w, payload: &Vec<u8>| w.send(Bytes::copy_from_slice(payload)).await,
        async |w| SinkExt::<Bytes>::flush(w).await,
    );
    Checker::for_writer(lenframe_sink, payload()).assert();
}

#[test]
fn a_writer_failure_replays_from_its_fuzz_input() {
    let failure = caught(header_sent_twice, None);
    let input = failure.input.clone().expect("the failing input");
    let checker = Checker::for_writer(header_sent_twice(), payload());
    let report = crate::fuzz_report(&checker, &input).expect("fails again");
    assert!(report.contains("under the plan the writer"), "{report}");
    assert!(crate::fuzz_report(&Checker::for_writer(frame_writer(), payload()), &input).is_none());
}
