//! Each oracle of the testkit's checker has teeth: a planted bug for each, caught with the
//! checker's default settings (256 cases from the default seed; the oracle's own switch where it
//! is opt-in), and next to it the bug's correct twin, which passes the same check: memory,
//! truncation, recovery. Plus a failure that needs exactly one cut, shrunk to that cut within the
//! default shrink budget. (Liveness: `liveness.rs`; what only slice parsers have:
//! `slice_parsers.rs`; the any-stream check: `any_stream.rs`.)

use bytes::{Buf, BufMut, Bytes, BytesMut};
use lenframe::testkit::{Checker, Decode, Fault, Run};
use lenframe_support::default_framing::{be, encode, frame};
use proptest::collection::vec;
use proptest::prelude::*;

// ---- memory ------------------------------------------------------------------------------

/// Reads a 4-byte length, then the body; with `reserve`, reserves the whole announced frame as
/// soon as the header is in (the bug: what tokio-util's `LengthDelimitedCodec` does, tokio issue
/// 333), so a peer that sends headers and stalls pins what they announce.
fn announced(reserve: bool) -> impl FnMut(&mut BytesMut) -> Result<Option<Bytes>, ()> {
    move |buf| {
        if buf.len() < 4 {
            return Ok(None);
        }
        let wire_len = 4 + be(&buf[..4]);
        if buf.len() < wire_len {
            if reserve {
                buf.reserve(wire_len - buf.len());
            }
            return Ok(None);
        }
        buf.advance(4);
        Ok(Some(buf.split_to(wire_len - 4).freeze()))
    }
}

/// Frames of up to 12 KiB (most over the 4 KiB of slack the bound allows), one or two a case.
fn large_frames() -> impl Strategy<Value = Vec<Bytes>> {
    vec(
        (0usize..=12 * 1024).prop_map(|n| Bytes::from(vec![0xA5; n])),
        1..=2,
    )
}

fn memory_checker(reserve: bool) -> Checker<Bytes> {
    Checker::with_lists(move || announced(reserve), encode, large_frames())
        // The harness's appends at most double the buffer; 4 KiB for the first read.
        .capacity_bound(|buffered| 2 * buffered + 4096)
}

#[test]
fn memory_catches_a_decoder_that_reserves_announced_lengths() {
    let failure = memory_checker(true)
        .run()
        .expect_err("the planted bug must be caught");
    let Some(Fault::Memory {
        capacity,
        buffered,
        bound,
    }) = Some(failure.fault.clone())
    else {
        panic!("not a memory fault: {failure}");
    };
    assert!(capacity > bound, "{failure}");
    assert!(buffered < 4096, "a header and little more: {failure}");
    assert!(failure.case <= 16, "caught late: {failure}");
}

#[test]
fn memory_passes_the_same_decoder_that_reserves_nothing() {
    memory_checker(false).assert();
}

// ---- truncation --------------------------------------------------------------------------

/// A decoder with a state: the header is consumed as soon as it is in, and the body waited
/// for. With `report_eof`, a stream that ends inside a body is an error; without (the bug), the
/// default `decode_eof` sees an empty buffer and the frame is lost without a word.
struct Stateful {
    body: Option<usize>,
    report_eof: bool,
}

impl Decode for Stateful {
    type Message = Bytes;
    type Error = String;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, String> {
        let len = match self.body {
            Some(len) => len,
            None if buf.len() >= 4 => *self.body.insert(be(&buf.split_to(4))),
            None => return Ok(None),
        };
        if buf.len() < len {
            return Ok(None);
        }
        self.body = None;
        Ok(Some(buf.split_to(len).freeze()))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, String> {
        match self.decode(buf)? {
            Some(frame) => Ok(Some(frame)),
            None if self.report_eof && (self.body.is_some() || !buf.is_empty()) => Err(format!(
                "stream ended inside a frame, {} bytes in",
                buf.len()
            )),
            None => Ok(None),
        }
    }
}

#[test]
fn truncation_catches_a_decoder_that_ends_cleanly_inside_a_frame() {
    let new_decoder = || Stateful {
        body: None,
        report_eof: false,
    };
    let failure = Checker::new(new_decoder, encode, frame())
        .run()
        .expect_err("the planted bug must be caught");
    // A one-frame stream cut right after its header: nothing left, no error.
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::Truncated { at: 4 }, Fault::TruncationLost { index: 0 }),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 1, "{failure}");
}

#[test]
fn truncation_passes_the_same_decoder_that_reports_the_cut() {
    let new_decoder = || Stateful {
        body: None,
        report_eof: true,
    };
    Checker::new(new_decoder, encode, frame())
        .truncation(lenframe::testkit::Truncation::MustError)
        .assert();
}

/// A decoder with no state and the default `decode_eof`: a cut frame's bytes stay in the buffer,
/// where `FramedRead` reports them ("bytes remaining on stream"). Enough for the default rule;
/// not for `MustError`, which demands that the decoder itself says so.
fn stateless(buf: &mut BytesMut) -> Result<Option<Bytes>, String> {
    if buf.len() < 4 || buf.len() < 4 + be(&buf[..4]) {
        return Ok(None);
    }
    let len = be(&buf.split_to(4));
    Ok(Some(buf.split_to(len).freeze()))
}

#[test]
fn truncation_must_error_catches_a_decoder_that_only_leaves_the_bytes() {
    Checker::new(|| stateless, encode, frame()).assert();
    let failure = Checker::new(|| stateless, encode, frame())
        .truncation(lenframe::testkit::Truncation::MustError)
        .run()
        .expect_err("MustError demands an error");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (
            Run::Truncated { at: 1 },
            Fault::TruncationNotAnError {
                index: 0,
                leftover: 1
            }
        ),
        "{failure}"
    );
}

// ---- recovery ----------------------------------------------------------------------------

/// Lines of at most 4 bytes: a longer one is an error, documented to be skipped up to its
/// newline so that the next line comes out. With `resync` false (the bug), the error is
/// returned but the long line is not skipped: its tail comes out as a line.
fn short_lines(resync: bool) -> impl FnMut(&mut BytesMut) -> Result<Option<String>, String> {
    let mut skipping = false;
    move |buf| loop {
        let newline = buf.iter().position(|&b| b == b'\n');
        if skipping {
            let Some(end) = newline else {
                buf.clear();
                return Ok(None);
            };
            buf.advance(end + 1);
            skipping = false;
            continue;
        }
        match newline {
            Some(end) if end <= 4 => {
                let line = buf.split_to(end + 1);
                return Ok(Some(String::from_utf8_lossy(&line[..end]).into_owned()));
            }
            None if buf.len() <= 4 => return Ok(None),
            _ => {
                // Over the limit: report it once, take the 5 bytes seen, skip the rest.
                buf.advance(5);
                skipping = resync;
                return Err("line over 4 bytes".to_owned());
            }
        }
    }
}

fn encode_line(line: &String, dst: &mut BytesMut) {
    dst.put_slice(line.as_bytes());
    dst.put_u8(b'\n');
}

#[test]
fn recovery_catches_a_decoder_that_does_not_skip_what_it_rejected() {
    let failure = Checker::new(|| short_lines(false), encode_line, "[a-z]{0,9}")
        .errors_on(|line: &String| line.len() > 4)
        .truncation(lenframe::testkit::Truncation::Off)
        .run()
        .expect_err("the planted bug must be caught");
    // One line of 5 bytes: after its error, its newline comes out as an empty line.
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::ExtraMessages { index: 1 }),
        "{failure}"
    );
    assert_eq!(failure.messages, ["aaaaa"], "{failure}");
    assert_eq!(failure.one_piece.messages[1], "\"\"", "{failure}");
}

#[test]
fn recovery_passes_the_same_decoder_that_skips_the_rejected_line() {
    // Truncation checked too: a stream cut short after a rejected line still gives its error
    // where the check expects it, then reports the cut line.
    Checker::new(|| short_lines(true), encode_line, "[a-z]{0,9}")
        .errors_on(|line: &String| line.len() > 4)
        .assert();
}

// ---- a failure that needs exactly one cut -------------------------------------------------

/// Takes a read of exactly one byte for a one-byte keep-alive, whatever the byte: right when
/// keep-alives arrive alone, wrong when a read ends one byte into a header.
fn keepalive(bug: bool) -> impl FnMut(&mut BytesMut) -> Result<Option<Bytes>, ()> {
    move |buf| {
        if bug && buf.len() == 1 {
            buf.advance(1);
            return Ok(Some(Bytes::new()));
        }
        if buf.len() < 4 || buf.len() < 4 + be(&buf[..4]) {
            return Ok(None);
        }
        let len = be(&buf.split_to(4));
        Ok(Some(buf.split_to(len).freeze()))
    }
}

#[test]
fn a_failure_that_needs_one_cut_shrinks_to_that_cut() {
    // Frames of up to 200 bytes, lists of up to 8: the first failing case is long and cut in
    // many places; the report is one frame and the one cut that matters.
    let frames = vec(any::<u8>(), 0..200).prop_map(Bytes::from);
    let failure = Checker::new(|| keepalive(true), encode, frames.clone())
        .truncation(lenframe::testkit::Truncation::Off)
        .run()
        .expect_err("the planted bug must be caught");
    assert!(
        matches!((failure.run, failure.fault.clone()), (Run::Chunked, _)),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 1, "{failure}");
    assert_eq!(failure.cuts(), [1], "{failure}");
    assert!(
        failure.shrink_steps < 16 * 1024,
        "within the default budget: {failure}"
    );
    eprintln!("{failure}");
    Checker::new(|| keepalive(false), encode, frames).assert();
}
