//! Slice parsers (`testkit::parser`, `testkit::cursor_parser`): the oracle only they have, junk
//! around the input, catches a parser that indexes from its buffer's start; a parser that breaks
//! its own contract (claims bytes it was not given) is named as such; one that waits for the
//! byte after a message stalls; and an error is an error, not a wait, unless the parser says it
//! means "incomplete". Each planted bug is caught at default settings, and its twin passes.

use std::io::Cursor;

use bytes::{BufMut, BytesMut};
use lenframe::testkit::{cursor_parser, parser, unexpected_eof, Checker, Decoder, Fault, Run};
use proptest::collection::vec;
use proptest::prelude::*;

use lenframe_support::default_framing::be;

// ---- junk --------------------------------------------------------------------------------

/// A cursor parser (mini-redis's shape): a 2-byte length, then the body. With `from_start`
/// (the bug), the length is read from the start of the cursor's buffer, not its position.
fn cursor_frame(from_start: bool) -> impl FnMut(&mut Cursor<&[u8]>) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    move |cursor| {
        let start = cursor.position() as usize;
        let at = if from_start { 0 } else { start };
        let header = cursor
            .get_ref()
            .get(at..at + 2)
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        let len = be(header);
        cursor.set_position(start as u64 + 2);
        let mut body = vec![0; len];
        cursor.read_exact(&mut body)?;
        Ok(body)
    }
}

#[allow(clippy::ptr_arg)] // an encoder of `Vec<u8>` messages takes `&Vec<u8>`
fn encode_u16(body: &Vec<u8>, dst: &mut BytesMut) {
    dst.put_u16(u16::try_from(body.len()).expect("short bodies"));
    dst.put_slice(body);
}

#[test]
fn junk_catches_a_cursor_parser_that_indexes_from_the_buffer_start() {
    let parse = cursor_parser(|| cursor_frame(true)).incomplete_when(unexpected_eof);
    let failure = Checker::new(parse, encode_u16, vec(any::<u8>(), 0..16))
        .run()
        .expect_err("the planted bug must be caught");
    assert!(
        matches!((failure.run, failure.fault.clone()), (Run::Junk, _)),
        "only junk shows it: {failure}"
    );
    assert!(
        failure.plan.junk > 0 && failure.messages.len() == 1,
        "{failure}"
    );
}

#[test]
fn junk_passes_the_same_parser_that_reads_from_its_position() {
    let parse = cursor_parser(|| cursor_frame(false)).incomplete_when(unexpected_eof);
    Checker::new(parse, encode_u16, vec(any::<u8>(), 0..16)).assert();
}

// ---- a parser's contract ------------------------------------------------------------------

/// A slice parser of `\n`-terminated lines that says how many bytes its line used: with `bug`,
/// two for the terminator, as if it were `\r\n`, so the line claims a byte it was not given.
fn newline_parser(bug: bool) -> impl Fn(&[u8]) -> Option<(Vec<u8>, usize)> {
    move |input| {
        let end = input.iter().position(|&b| b == b'\n')?;
        let terminator = if bug { 2 } else { 1 };
        Some((input[..end].to_vec(), end + terminator))
    }
}

#[allow(clippy::ptr_arg)] // an encoder of `Vec<u8>` messages takes `&Vec<u8>`
fn encode_newline(line: &Vec<u8>, dst: &mut BytesMut) {
    dst.put_slice(line);
    dst.put_u8(b'\n');
}

/// A checker of `subject` on `\n`-terminated lines of up to 5 letters (empty ones too).
fn lines(decoder: Decoder<Vec<u8>>) -> Checker<Vec<u8>> {
    Checker::new(decoder, encode_newline, vec(b'a'..=b'z', 0..6))
}

#[test]
fn a_parser_that_claims_bytes_it_was_not_given_is_reported_as_broken() {
    let failure = lines(parser(|| newline_parser(true)))
        .run()
        .expect_err("the planted bug must be caught");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::Broken { index: 0 }),
        "{failure}"
    );
    assert!(
        failure
            .to_string()
            .contains("the parser said its message used 2 bytes of an input of 1"),
        "{failure}"
    );
    lines(parser(|| newline_parser(false))).assert();
}

// ---- liveness of a slice parser ----------------------------------------------------------

/// A `\n`-line parser that, with `lookahead` (the bug), wants the byte after the newline before
/// it returns the line (as if a continuation line could follow), so a line that ends the bytes
/// so far waits: a peer waiting for the answer never sends that byte.
fn lookahead_lines(lookahead: bool) -> impl Fn(&[u8]) -> Option<(Vec<u8>, usize)> {
    move |input| {
        let end = input.iter().position(|&b| b == b'\n')?;
        if lookahead && input.len() == end + 1 {
            return None;
        }
        Some((input[..end].to_vec(), end + 1))
    }
}

#[test]
fn liveness_catches_a_parser_that_waits_for_the_byte_after_a_message() {
    let failure = lines(parser(|| lookahead_lines(true)))
        .run()
        .expect_err("the planted bug must be caught");
    assert!(
        matches!(
            (failure.run, failure.fault.clone()),
            (Run::OnePiece, Fault::Stalled { index: 0, .. })
        ),
        "{failure}"
    );
    lines(parser(|| lookahead_lines(false))).assert();
}

// ---- a parser's errors ---------------------------------------------------------------------

#[derive(Debug, PartialEq)]
enum LineError {
    Incomplete,
    Empty,
}

/// A line parser that says "incomplete" with an error; with `reject_empty` (the bug: the
/// protocol allows empty lines), it rejects an empty line with another.
fn strict_lines(reject_empty: bool) -> impl Fn(&[u8]) -> Result<(Vec<u8>, usize), LineError> {
    move |input| {
        let end = input
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(LineError::Incomplete)?;
        if reject_empty && end == 0 {
            return Err(LineError::Empty);
        }
        Ok((input[..end].to_vec(), end + 1))
    }
}

#[test]
fn a_parsers_error_is_an_error_not_a_wait() {
    let incomplete = |e: &LineError| *e == LineError::Incomplete;
    let failure = lines(parser(|| strict_lines(true)).incomplete_when(incomplete))
        .run()
        .expect_err("the planted bug must be caught");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::Error { index: 0 }),
        "{failure}"
    );
    assert!(failure.to_string().contains("Empty"), "{failure}");
    // The twin, which takes empty lines, passes.
    lines(parser(|| strict_lines(false)).incomplete_when(incomplete)).assert();
    // Without `incomplete_when`, no error means "incomplete": the twin's first wait is an error.
    let failure = lines(parser(|| strict_lines(false)))
        .run()
        .expect_err("an error is an error");
    assert!(
        matches!(
            (failure.run, failure.fault.clone()),
            (Run::OnePiece, Fault::Error { .. })
        ),
        "{failure}"
    );
}

#[test]
fn a_cursor_parsers_error_other_than_unexpected_eof_is_an_error() {
    let parse = |cursor: &mut Cursor<&[u8]>| -> std::io::Result<Vec<u8>> {
        let body = cursor_frame(false)(cursor)?;
        if body.first() == Some(&0) {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
        Ok(body)
    };
    let failure = Checker::new(
        cursor_parser(move || parse).incomplete_when(unexpected_eof),
        encode_u16,
        vec(any::<u8>(), 0..6),
    )
    .run()
    .expect_err("the planted bug must be caught");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::Error { index: 0 }),
        "{failure}"
    );
    assert!(failure.to_string().contains("InvalidData"), "{failure}");
    // The twin, which takes a body starting with 0, passes.
    Checker::new(
        cursor_parser(|| cursor_frame(false)).incomplete_when(unexpected_eof),
        encode_u16,
        vec(any::<u8>(), 0..6),
    )
    .assert();
}
