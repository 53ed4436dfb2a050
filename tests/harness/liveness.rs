//! Liveness has teeth: a decoder that stalls with a whole frame buffered under tokio's
//! `FramedRead`, a reader that waits to fill a block, and one that spins at the end of the stream
//! are each caught at default settings, the first stall named, and each bug's twin passes. (A
//! slice parser that waits for the byte after a message: `slice_parsers.rs`.)

use bytes::{Bytes, BytesMut};
use lenframe::testkit::{framed, Checker, Fault, Run};
use lenframe_support::default_framing::{be, encode, frame};

// ---- liveness under FramedRead ------------------------------------------------------------

/// A tokio decoder that returns at most one frame per read: after a frame it says "no frame"
/// until new bytes arrive (the bug), though the buffer may hold whole frames. `FramedRead` then
/// reads again, and over a connection whose peer waits for an answer that read never ends.
struct OnePerRead {
    seen: Option<usize>,
    bug: bool,
}

impl tokio_util::codec::Decoder for OnePerRead {
    type Item = Bytes;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> std::io::Result<Option<Bytes>> {
        if self.bug && self.seen == Some(buf.len()) {
            return Ok(None);
        }
        if buf.len() < 4 || buf.len() < 4 + be(&buf[..4]) {
            return Ok(None);
        }
        let len = be(&buf.split_to(4));
        let frame = buf.split_to(len).freeze();
        self.seen = Some(buf.len());
        Ok(Some(frame))
    }
}

#[test]
fn liveness_catches_a_decoder_that_stalls_with_a_whole_frame_buffered_under_framed_read() {
    let failure = Checker::new(
        framed(|| OnePerRead {
            seen: None,
            bug: true,
        }),
        encode,
        frame(),
    )
    .run()
    .expect_err("the planted bug must be caught");
    // Two frames in one read: the second is buffered whole while FramedRead reads again.
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (
            Run::OnePiece,
            Fault::Stalled {
                index: 1,
                delivered: 8,
                end: 8
            }
        ),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 2, "{failure}");
}

#[test]
fn liveness_passes_the_same_decoder_that_decodes_what_is_buffered() {
    Checker::new(
        framed(|| OnePerRead {
            seen: None,
            bug: false,
        }),
        encode,
        frame(),
    )
    .assert();
}

// ---- liveness of a reader ----------------------------------------------------------------

/// A decoder that reads from a `std::io::Read`: once it has returned `fill_after` frames (the
/// bug; `None`: never), it reads until it has a whole 64-byte block before it parses, so a short
/// message waits for bytes that a peer waiting for the answer never sends; before, it reads
/// what arrived and parses it.
fn block_reader<R: std::io::Read>(
    mut stream: R,
    fill_after: Option<usize>,
) -> impl FnMut() -> std::io::Result<Option<Bytes>> {
    let mut codec = lenframe::Codec::new();
    let mut buf = BytesMut::new();
    let mut ended = false;
    let mut returned = 0;
    move || loop {
        if let Some(frame) = codec.decode(&mut buf)? {
            returned += 1;
            return Ok(Some(frame));
        }
        let fill_blocks = fill_after.is_some_and(|after| returned >= after);
        if ended {
            return Ok(codec.decode_eof(&mut buf)?);
        }
        let mut block = [0u8; 64];
        let mut got = 0;
        while got < block.len() {
            match stream.read(&mut block[got..]) {
                Ok(0) => {
                    ended = true;
                    break;
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
            if !fill_blocks {
                break;
            }
        }
        buf.extend_from_slice(&block[..got]);
    }
}

#[test]
fn liveness_catches_a_reader_that_waits_to_fill_a_block() {
    let decoder = lenframe::testkit::reader(|stream| block_reader(stream, Some(0)));
    let failure = Checker::new(decoder, encode, frame())
        .run()
        .expect_err("the planted bug must be caught");
    // Two frames, the first read whole alone: the decoder reads on for the second.
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (
            Run::Chunked,
            Fault::Stalled {
                index: 0,
                delivered: 4,
                end: 4
            }
        ),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 2, "{failure}");
    assert_eq!(failure.cuts(), [4], "{failure}");
}

#[test]
fn liveness_names_the_first_message_a_reader_stalls_on() {
    // Four frames of 40 bytes on the wire, one a read: the reader stalls on frame 1 (which it
    // has whole at byte 80 and reads on) and again on frame 2 (whole at byte 120); the first
    // stall is the one reported.
    let decoder = lenframe::testkit::reader(|stream| block_reader(stream, Some(1)));
    let frames: Vec<Bytes> = (0..4u8).map(|i| Bytes::from(vec![i; 36])).collect();
    let failure = Checker::new(decoder, encode, frame())
        .check(&frames, &lenframe::testkit::Plan::at(&[40, 80, 120]))
        .expect_err("the planted bug must be caught");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (
            Run::Chunked,
            Fault::Stalled {
                index: 1,
                delivered: 80,
                end: 80
            }
        ),
        "{failure}"
    );
}

#[test]
fn liveness_passes_the_same_reader_that_parses_what_arrived() {
    let decoder = lenframe::testkit::reader(|stream| block_reader(stream, None));
    Checker::new(decoder, encode, frame()).assert();
}

/// A reader-based decoder that takes `Ok(0)` for "nothing yet" and reads again (the bug: at the
/// end of the stream it spins for ever), or for the end (the twin).
fn spin_at_end<R: std::io::Read>(
    stream: R,
    spin: bool,
) -> impl FnMut() -> std::io::Result<Option<Bytes>> {
    let mut reader = std::io::BufReader::new(stream);
    move || {
        let mut header = [0u8; 4];
        let mut got = 0;
        while got < 4 {
            match std::io::Read::read(&mut reader, &mut header[got..]) {
                Ok(0) if spin => {}
                Ok(0) if got == 0 => return Ok(None),
                Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let mut body = vec![0; be(&header)];
        std::io::Read::read_exact(&mut reader, &mut body)?;
        Ok(Some(Bytes::from(body)))
    }
}

#[test]
fn liveness_catches_a_reader_that_spins_at_the_end_of_the_stream() {
    let decoder = lenframe::testkit::reader(|stream| spin_at_end(stream, true));
    let failure = Checker::new(decoder, encode, frame())
        .run()
        .expect_err("the planted bug must be caught");
    // No frame at all: the stream ends at once, and the decoder reads on.
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::NoProgress { index: 0 }),
        "{failure}"
    );
    assert!(failure.messages.is_empty(), "{failure}");
    assert!(
        failure
            .to_string()
            .contains("kept reading without getting bytes (at the end of the stream"),
        "{failure}"
    );
}

#[test]
fn liveness_passes_the_same_reader_that_takes_zero_for_the_end() {
    let decoder = lenframe::testkit::reader(|stream| spin_at_end(stream, false));
    Checker::new(decoder, encode, frame()).assert();
}
