//! Each oracle of the testkit's checker has teeth: a planted bug for each, caught with the
//! checker's default settings (256 cases from the default seed; the oracle's own switch where it
//! is opt-in), and next to it the bug's correct twin, which passes the same check. Liveness has
//! three (a stall under `FramedRead`, a reader that fills blocks, one that spins at the end of
//! the stream), and a slice parser that breaks its own contract is named as such. The any-stream
//! check (`StreamCheck`) catches a result that depends on the cuts, errors included. Plus a
//! failure that needs exactly one cut, shrunk to that cut within the default shrink budget.

use std::io::Cursor;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use lenframe::testkit::{cursor_parser, framed, unexpected_eof, Checker, Decode, Fault, Violation};
use proptest::collection::vec;
use proptest::prelude::*;

fn be(header: &[u8]) -> usize {
    header
        .iter()
        .fold(0, |len, &byte| (len << 8) | usize::from(byte))
}

/// lenframe's default layout: a 4-byte big-endian length, then the body.
fn encode(frame: &Bytes, dst: &mut BytesMut) {
    lenframe::Codec::new()
        .encode(frame, dst)
        .expect("frames under 8 MiB encode");
}

fn frame() -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..32).prop_map(Bytes::from)
}

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

fn memory_checker(
    reserve: bool,
) -> Checker<
    Bytes,
    impl lenframe::testkit::Subject<Message = Bytes>,
    impl lenframe::testkit::Encode<Bytes>,
> {
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
    }) = failure.violation.fault()
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
        failure.violation,
        Violation::Truncated {
            at: 4,
            fault: Fault::TruncationLost { index: 0 }
        },
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
        failure.violation,
        Violation::Truncated {
            at: 1,
            fault: Fault::TruncationNotAnError {
                index: 0,
                leftover: 1
            }
        },
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
        failure.violation,
        Violation::OnePiece(Fault::ExtraMessages { index: 1 }),
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
        matches!(failure.violation, Violation::Junk(_)),
        "only junk shows it: {failure}"
    );
    assert!(failure.junk > 0 && failure.messages.len() == 1, "{failure}");
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

#[test]
fn a_parser_that_claims_bytes_it_was_not_given_is_reported_as_broken() {
    let line = vec(b'a'..=b'z', 0..6);
    let failure = Checker::new(
        lenframe::testkit::parser(|| newline_parser(true)),
        encode_newline,
        line.clone(),
    )
    .run()
    .expect_err("the planted bug must be caught");
    assert_eq!(
        failure.violation,
        Violation::OnePiece(Fault::Broken { index: 0 }),
        "{failure}"
    );
    assert!(
        failure
            .to_string()
            .contains("the parser said its message used 2 bytes of an input of 1"),
        "{failure}"
    );
    Checker::new(
        lenframe::testkit::parser(|| newline_parser(false)),
        encode_newline,
        line,
    )
    .assert();
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
    let line = vec(b'a'..=b'z', 0..6);
    let failure = Checker::new(
        lenframe::testkit::parser(|| lookahead_lines(true)),
        encode_newline,
        line.clone(),
    )
    .run()
    .expect_err("the planted bug must be caught");
    assert!(
        matches!(
            failure.violation,
            Violation::OnePiece(Fault::Stalled { index: 0, .. })
        ),
        "{failure}"
    );
    Checker::new(
        lenframe::testkit::parser(|| lookahead_lines(false)),
        encode_newline,
        line,
    )
    .assert();
}

// ---- a parser's errors ---------------------------------------------------------------------

#[derive(Debug, PartialEq)]
enum LineError {
    Incomplete,
    Empty,
}

/// A line parser that says "incomplete" with an error, and rejects an empty line (the bug: the
/// protocol allows them) with another.
fn strict_lines(input: &[u8]) -> Result<(Vec<u8>, usize), LineError> {
    let end = input
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(LineError::Incomplete)?;
    if end == 0 {
        return Err(LineError::Empty);
    }
    Ok((input[..end].to_vec(), end + 1))
}

#[test]
fn a_parsers_error_is_an_error_not_a_wait() {
    let line = vec(b'a'..=b'z', 0..6);
    // Every error means "incomplete" unless told otherwise.
    let failure = Checker::new(
        lenframe::testkit::parser(|| strict_lines)
            .incomplete_when(|e: &LineError| *e == LineError::Incomplete),
        encode_newline,
        line.clone(),
    )
    .run()
    .expect_err("the planted bug must be caught");
    assert_eq!(
        failure.violation,
        Violation::OnePiece(Fault::Error { index: 0 }),
        "{failure}"
    );
    assert!(failure.to_string().contains("Empty"), "{failure}");
    // Without `incomplete_when`, no error means "incomplete": the first wait is an error.
    let failure = Checker::new(
        lenframe::testkit::parser(|| strict_lines),
        encode_newline,
        line,
    )
    .run()
    .expect_err("an error is an error");
    assert!(
        matches!(failure.violation, Violation::OnePiece(Fault::Error { .. })),
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
        failure.violation,
        Violation::OnePiece(Fault::Error { index: 0 }),
        "{failure}"
    );
    assert!(failure.to_string().contains("InvalidData"), "{failure}");
}

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
        failure.violation,
        Violation::OnePiece(Fault::Stalled {
            index: 1,
            delivered: 8,
            end: 8
        }),
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
        failure.violation,
        Violation::Chunked(Fault::Stalled {
            index: 0,
            delivered: 4,
            end: 4
        }),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 2, "{failure}");
    assert_eq!(failure.cuts, [4], "{failure}");
}

#[test]
fn liveness_names_the_first_message_a_reader_stalls_on() {
    // Four frames of 40 bytes on the wire, one a read: the reader stalls on frame 1 (which it
    // has whole at byte 80 and reads on) and again on frame 2 (whole at byte 120); the first
    // stall is the one reported.
    let decoder = lenframe::testkit::reader(|stream| block_reader(stream, Some(1)));
    let frames: Vec<Bytes> = (0..4u8).map(|i| Bytes::from(vec![i; 36])).collect();
    let failure = Checker::new(decoder, encode, frame())
        .check_case(&frames, &[40, 80, 120])
        .expect_err("the planted bug must be caught");
    assert_eq!(
        failure.violation,
        Violation::Chunked(Fault::Stalled {
            index: 1,
            delivered: 80,
            end: 80
        }),
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
        failure.violation,
        Violation::OnePiece(Fault::NoProgress { index: 0 }),
        "{failure}"
    );
    assert!(failure.messages.is_empty(), "{failure}");
    assert!(
        failure.to_string().contains("kept reading after the end"),
        "{failure}"
    );
}

#[test]
fn liveness_passes_the_same_reader_that_takes_zero_for_the_end() {
    let decoder = lenframe::testkit::reader(|stream| spin_at_end(stream, false));
    Checker::new(decoder, encode, frame()).assert();
}

// ---- any stream --------------------------------------------------------------------------

/// One length byte, then the body; with `whole_reads` (the bug), the body is whatever has
/// arrived once the length byte is in. On any bytes, the twin's result does not depend on the
/// cuts; the bug's does.
fn tiny(whole_reads: bool) -> impl FnMut(&mut BytesMut) -> Result<Option<Bytes>, String> {
    move |buf| {
        let Some(&len) = buf.first() else {
            return Ok(None);
        };
        let len = usize::from(len);
        if len > 200 {
            // An error: it too must not depend on the cuts.
            return Err(format!("length {len} over 200"));
        }
        if buf.len() <= len && !whole_reads {
            return Ok(None);
        }
        buf.advance(1);
        Ok(Some(buf.split_to(len.min(buf.len())).freeze()))
    }
}

#[test]
fn any_stream_catches_a_decoder_whose_result_depends_on_the_cuts() {
    use lenframe::testkit::{Chunking, StreamCheck};
    let stream = b"\x03abc\x02de";
    let buggy = StreamCheck::new(|| tiny(true));
    assert!(buggy.check(stream, &Chunking::ONE_PIECE).is_ok());
    let failure = buggy
        .check(stream, &Chunking::at(&[2]))
        .expect_err("the planted bug must be caught");
    assert_eq!(failure.fault, Fault::Differs { index: 0 }, "{failure}");
    assert!(!failure.in_one_piece);
    assert_eq!(failure.cuts, [2]);
    assert_eq!(failure.stream, stream);
    assert_eq!(failure.one_piece.messages, ["b\"abc\"", "b\"de\""]);
    assert_eq!(failure.chunked.messages[0], "b\"a\"");
    assert!(failure
        .to_string()
        .starts_with("decoding any bytes in chunks, the decoder gave another result"));
    // The fuzz entry point: a plan (here, the cut after byte 2), then the stream.
    let mut input = lenframe::testkit::Plan {
        chunking: Chunking::at(&[2]),
        ..lenframe::testkit::Plan::default()
    }
    .to_bytes();
    input.extend_from_slice(stream);
    let payload = std::panic::catch_unwind(|| StreamCheck::new(|| tiny(true)).fuzz(&input))
        .expect_err("fuzz must panic with the report");
    let report = payload.downcast_ref::<String>().unwrap();
    assert_eq!(*report, failure.to_string());
    StreamCheck::new(|| tiny(false)).fuzz(&input);

    // 64 bytes are all shown; past 64 the stream is counted.
    let full = buggy
        .check(&b"\x03abc".repeat(16), &Chunking::at(&[2]))
        .unwrap_err()
        .to_string();
    assert!(full.lines().nth(1).unwrap().ends_with(" 62 63"), "{full}");
    let long = b"\x03abc".repeat(20);
    let failure = buggy.check(&long, &Chunking::at(&[2])).unwrap_err();
    let report = failure.to_string();
    assert!(
        report
            .lines()
            .nth(1)
            .unwrap()
            .ends_with(" 63 ... (16 more)"),
        "{report}"
    );

    // A decoder that panics on a byte, or returns a message without consuming it: a fault in
    // whichever run shows it, even when both runs agree.
    let panics = || {
        |buf: &mut BytesMut| -> Result<Option<Bytes>, String> {
            assert!(buf.first() != Some(&0xEE), "0xEE");
            tiny(false)(buf)
        }
    };
    let failure = StreamCheck::new(panics)
        .check(b"\x01a\xee", &Chunking::EVERY_BYTE)
        .unwrap_err();
    assert_eq!(failure.fault, Fault::Panicked { index: 1 }, "{failure}");
    assert!(failure.in_one_piece);
    let stuck = || |_: &mut BytesMut| -> Result<Option<Bytes>, String> { Ok(Some(Bytes::new())) };
    let failure = StreamCheck::new(stuck)
        .check(b"ab", &Chunking::ONE_PIECE)
        .unwrap_err();
    assert!(
        matches!(failure.fault, Fault::NoProgress { .. }),
        "{failure}"
    );
    // At most one message a byte, and one more: an empty stream allows one.
    let failure = StreamCheck::new(stuck)
        .check(b"", &Chunking::ONE_PIECE)
        .unwrap_err();
    assert_eq!(failure.fault, Fault::NoProgress { index: 2 }, "{failure}");

    let twin = StreamCheck::new(|| tiny(false));
    assert_eq!(format!("{twin:?}"), "StreamCheck { .. }");
    for chunking in [
        Chunking::ONE_PIECE,
        Chunking::at(&[2]),
        Chunking::EVERY_BYTE,
    ] {
        assert!(twin.check(stream, &chunking).is_ok());
        // Bytes that are not frames: an error, the same whatever the cut.
        assert!(twin.check(b"\x01x\xff\x00", &chunking).is_ok());
    }
}

/// `tiny`'s twin with an error that says how the bytes arrived (the bug): the same error at
/// the same place, told differently.
fn tells_the_read(buf: &mut BytesMut) -> Result<Option<Bytes>, String> {
    match buf.first() {
        Some(&len) if len > 200 => Err(format!("length {len} over 200, {} buffered", buf.len())),
        _ => tiny(false)(buf),
    }
}

#[test]
fn any_stream_compares_errors_by_what_they_show_or_by_their_type() {
    use lenframe::testkit::{Chunking, StreamCheck};
    // 0xff is over the limit; in one piece 3 bytes are buffered, byte by byte 1.
    let stream = b"\xff\x00\x00";
    let failure = StreamCheck::new(|| tells_the_read)
        .check(stream, &Chunking::EVERY_BYTE)
        .expect_err("errors that show differently differ");
    assert_eq!(failure.fault, Fault::Differs { index: 0 }, "{failure}");
    assert!(StreamCheck::new(|| tells_the_read)
        .check(stream, &Chunking::ONE_PIECE)
        .is_ok());

    // Compared by type: lenframe's errors are equal when their fields are.
    let codec = || {
        lenframe::Codec::builder()
            .max_frame_length(4)
            .build()
            .unwrap()
    };
    let check = StreamCheck::new(codec).errors_eq::<lenframe::DecodeError>();
    assert!(check
        .check(b"\x00\x00\x00\x09abc", &Chunking::EVERY_BYTE)
        .is_ok());
    /// An error type whose `Debug` says the same for every value, and whose equality tells
    /// them apart: by type, the check sees the difference its text hides.
    #[derive(PartialEq)]
    struct Opaque(usize);
    impl std::fmt::Debug for Opaque {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Opaque")
        }
    }
    let opaque = || {
        |buf: &mut BytesMut| -> Result<Option<Bytes>, Opaque> {
            match buf.first() {
                Some(&len) if len > 200 => Err(Opaque(buf.len())),
                _ => tiny(false)(buf).map_err(|_| Opaque(0)),
            }
        }
    };
    assert!(StreamCheck::new(opaque)
        .check(stream, &Chunking::EVERY_BYTE)
        .is_ok());
    assert!(StreamCheck::new(opaque)
        .errors_eq::<Opaque>()
        .check(stream, &Chunking::EVERY_BYTE)
        .is_err());
}

/// Garbage (bytes over 200 where a length byte is due) skipped a run at a time: each call skips
/// every garbage byte it has and reports one error for them, naming the first. Cut byte by
/// byte, a run of garbage is one error a byte; in one piece, one for the run: the same error
/// repeated, which the check counts once.
fn skips_garbage(buf: &mut BytesMut) -> Result<Option<Bytes>, String> {
    match buf.first() {
        Some(&first) if first > 200 => {
            let run = buf.iter().take_while(|&&b| b > 200).count();
            buf.advance(run);
            Err(format!("garbage from {first:#04x}"))
        }
        _ => tiny(false)(buf),
    }
}

/// Counts its calls, and once they pass 4 reports one error at the end of the stream: a peer
/// whose bytes came in too many pieces (the bug: a result that depends on the cuts, here an
/// error more after the same messages).
fn rate_limited() -> impl FnMut(&mut BytesMut) -> Result<Option<Bytes>, String> {
    let mut calls = 0;
    let mut reported = false;
    move |buf| {
        calls += 1;
        if buf.is_empty() && calls > 4 && !reported {
            reported = true;
            return Err("too many reads".to_owned());
        }
        tiny(false)(buf)
    }
}

#[test]
fn any_stream_counts_a_repeated_error_once_and_tells_other_errors_apart() {
    use lenframe::testkit::{Chunking, StreamCheck};
    let check = StreamCheck::new(|| skips_garbage);
    // 0xff 0xff 0xff: one error in one piece, three byte by byte, all the same error.
    for chunking in [
        Chunking::ONE_PIECE,
        Chunking::EVERY_BYTE,
        Chunking::at(&[1]),
    ] {
        assert!(check.check(b"\x01a\xff\xff\xff\x01b", &chunking).is_ok());
    }
    // 0xff 0xfe: one error in one piece; byte by byte a second one, "garbage from 0xfe".
    let failure = check
        .check(b"\x01a\xff\xfe\x01b", &Chunking::EVERY_BYTE)
        .expect_err("garbage from 0xfe is another error");
    assert_eq!(failure.fault, Fault::Differs { index: 2 }, "{failure}");

    // Errors do not hide a difference in the messages around them.
    let failure = StreamCheck::new(|| tiny(true))
        .check(b"\x03abc\x02de\xff", &Chunking::at(&[2]))
        .expect_err("the planted bug must be caught");
    assert_eq!(failure.fault, Fault::Differs { index: 0 }, "{failure}");

    // The same messages, and one more in chunks, no error anywhere.
    let heartbeat = || {
        let mut calls = 0;
        let mut sent = false;
        move |buf: &mut BytesMut| -> Result<Option<Bytes>, String> {
            calls += 1;
            if buf.is_empty() && calls > 4 && !sent {
                sent = true;
                return Ok(Some(Bytes::from_static(b"heartbeat")));
            }
            tiny(false)(buf)
        }
    };
    let failure = StreamCheck::new(heartbeat)
        .check(b"\x01a\x01b", &Chunking::EVERY_BYTE)
        .expect_err("a message more in chunks");
    assert_eq!(failure.fault, Fault::Differs { index: 2 }, "{failure}");

    // The same messages, and an error more in chunks.
    let stream = b"\x01a\x01b";
    assert!(StreamCheck::new(rate_limited)
        .check(stream, &Chunking::ONE_PIECE)
        .is_ok());
    let failure = StreamCheck::new(rate_limited)
        .check(stream, &Chunking::EVERY_BYTE)
        .expect_err("an error more in chunks");
    assert_eq!(failure.fault, Fault::Differs { index: 2 }, "{failure}");
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
        matches!(failure.violation, Violation::Chunked(_)),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 1, "{failure}");
    assert_eq!(failure.cuts, [1], "{failure}");
    assert!(
        failure.shrink_steps < lenframe::testkit::SHRINK_STEPS as usize,
        "within the default budget: {failure}"
    );
    eprintln!("{failure}");
    Checker::new(|| keepalive(false), encode, frames).assert();
}
