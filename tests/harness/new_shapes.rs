//! The shapes that cost glue before: push parsers (`push_parser`), parsers that return the rest
//! of their input (`rest_parser`), parsers that consume bytes without a message
//! (`Parsed::Skip`), optional trailers (`Truncation::TrailerOptional`), and "incomplete" said
//! with an error by a `&mut BytesMut` decoder (`Decoder::incomplete_when`, on every shape).
//! Each is proven by a planted bug caught at default settings, next to its twin, which passes.

use bytes::{Buf, BufMut, BytesMut};
use lenframe::testkit::{
    parser, push_parser, rest_parser, Checker, Decoder, Fault, Parsed, Plan, Run, Truncation,
};
use lenframe_support::panic_text;
use proptest::collection::vec;

// ---- push parsers ------------------------------------------------------------------------

/// How a push parser of 0-terminated messages goes wrong.
#[derive(Clone, Copy, PartialEq)]
enum PushBug {
    None,
    /// Says a message used the whole push, dropping what followed it in the same push.
    TakesTheWholePush,
    /// Forgets the bytes it held when a push begins: a message cut across pushes loses its
    /// start.
    ForgetsBetweenPushes,
}

/// Messages end with a 0 byte (none inside): one message per call, with the bytes it used of
/// the push, as the `cobs` crate's and postcard's accumulators return them.
fn zero_terminated(bug: PushBug) -> Decoder<Vec<u8>> {
    push_parser(move || {
        let mut held = Vec::new();
        move |pushed: &[u8]| {
            if bug == PushBug::ForgetsBetweenPushes {
                held.clear();
            }
            match pushed.iter().position(|&b| b == 0) {
                Some(end) => {
                    held.extend_from_slice(&pushed[..end]);
                    let used = if bug == PushBug::TakesTheWholePush {
                        pushed.len()
                    } else {
                        end + 1
                    };
                    Some((std::mem::take(&mut held), used))
                }
                None => {
                    held.extend_from_slice(pushed);
                    None
                }
            }
        }
    })
}

#[allow(clippy::ptr_arg)] // an encoder of `Vec<u8>` messages takes `&Vec<u8>`
fn encode_zero_terminated(message: &Vec<u8>, dst: &mut BytesMut) {
    dst.put_slice(message);
    dst.put_u8(0);
}

fn zero_checker(bug: PushBug) -> Checker<Vec<u8>> {
    Checker::new(
        zero_terminated(bug),
        encode_zero_terminated,
        vec(1u8..=255, 0..6),
    )
}

#[test]
fn a_push_parser_that_drops_the_rest_of_a_push_is_caught() {
    let failure = zero_checker(PushBug::TakesTheWholePush)
        .run()
        .expect_err("the planted bug must be caught");
    // Two messages in one piece: the second went with the first's push.
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::MissingMessages { index: 1 }),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 2, "{failure}");
    zero_checker(PushBug::None).assert();
}

#[test]
fn a_push_parser_that_forgets_what_it_held_is_caught_with_one_cut() {
    let failure = zero_checker(PushBug::ForgetsBetweenPushes)
        .run()
        .expect_err("the planted bug must be caught");
    assert_eq!(failure.run, Run::Chunked, "{failure}");
    assert_eq!(failure.cuts().len(), 1, "{failure}");
    assert_eq!(failure.messages.len(), 1, "{failure}");
}

/// Messages of a one-byte length, then the body: all of a push taken at once, several messages
/// returned together (ublox's and bytecodec's shape). With `flush_at_end` (the bug), the end of
/// the stream hands over what is held as a last message, cut or not.
fn length_prefixed_batches(flush_at_end: bool) -> Decoder<Vec<u8>> {
    push_parser(move || {
        let mut held = Vec::new();
        move |pushed: &[u8]| {
            if pushed.is_empty() && flush_at_end && !held.is_empty() {
                return vec![std::mem::take(&mut held)];
            }
            held.extend_from_slice(pushed);
            let mut out = Vec::new();
            while let Some(&len) = held.first() {
                let len = usize::from(len);
                if held.len() <= len {
                    break;
                }
                out.push(held[1..=len].to_vec());
                held.drain(..=len);
            }
            out
        }
    })
}

#[allow(clippy::ptr_arg)] // an encoder of `Vec<u8>` messages takes `&Vec<u8>`
fn encode_length_prefixed(message: &Vec<u8>, dst: &mut BytesMut) {
    dst.put_u8(u8::try_from(message.len()).unwrap());
    dst.put_slice(message);
}

#[test]
fn a_push_parser_that_hands_over_a_cut_message_at_the_end_is_caught() {
    let checker = |flush| {
        Checker::new(
            length_prefixed_batches(flush),
            encode_length_prefixed,
            vec(0u8..=255, 0..6),
        )
    };
    let failure = checker(true)
        .run()
        .expect_err("the planted bug must be caught");
    assert!(
        matches!(
            (failure.run, &failure.fault),
            (
                Run::Truncated { .. },
                Fault::TruncatedMessageReturned { .. }
            )
        ),
        "{failure}"
    );
    // The twin holds the cut message's bytes: the harness counts them as the parser's, and the
    // truncation as reported.
    checker(false).assert();
    let cut = checker(false)
        .truncation(Truncation::MustError)
        .run()
        .expect_err("holding the bytes is not an error");
    assert!(
        matches!(cut.fault, Fault::TruncationNotAnError { leftover, .. } if leftover > 0),
        "{cut}"
    );
}

#[test]
fn a_push_parser_that_claims_more_than_it_was_pushed_is_named() {
    let greedy = push_parser(|| |pushed: &[u8]| Some((pushed.to_vec(), pushed.len() + 1)));
    let failure = Checker::new(greedy, encode_zero_terminated, vec(1u8..=255, 1..3))
        .run()
        .expect_err("a broken contract");
    assert!(matches!(failure.fault, Fault::Broken { .. }), "{failure}");
    assert!(
        failure
            .to_string()
            .contains("the push parser said its message used"),
        "{failure}"
    );
}

// ---- parsers that return the rest of their input -------------------------------------------

#[derive(Debug, PartialEq)]
enum NomError {
    Incomplete(usize),
}

/// What a nom parser returns: the rest of the input, and what it parsed.
type IResult<'a, T> = Result<(&'a [u8], T), NomError>;

/// nom's shape: a one-byte length, then the body; the rest of the input with the body. With
/// `rest_after_header` (the bug), the rest starts after the header instead of after the body.
fn length_then_body(rest_after_header: bool) -> impl Fn(&[u8]) -> IResult<'_, Vec<u8>> {
    move |input| {
        let (&len, after) = input.split_first().ok_or(NomError::Incomplete(1))?;
        let len = usize::from(len);
        let body = after
            .get(..len)
            .ok_or_else(|| NomError::Incomplete(len - after.len()))?;
        let rest = if rest_after_header {
            after
        } else {
            &after[len..]
        };
        Ok((rest, body.to_vec()))
    }
}

fn nom_checker(bug: bool) -> Checker<Vec<u8>> {
    let decoder = rest_parser(move || length_then_body(bug))
        .incomplete_when(|e: &NomError| matches!(e, NomError::Incomplete(_)));
    Checker::new(decoder, encode_length_prefixed, vec(0u8..=255, 1..6))
}

#[test]
fn a_parser_that_returns_the_wrong_rest_is_caught() {
    let failure = nom_checker(true)
        .run()
        .expect_err("the planted bug must be caught");
    assert_eq!(failure.run, Run::OnePiece, "{failure}");
    assert_eq!(failure.messages.len(), 1, "{failure}");
    nom_checker(false).assert();
}

#[test]
fn a_rest_that_is_not_the_end_of_the_input_is_a_broken_contract() {
    // The rest of a copy of the input (kept for the parser's life), not of the input.
    let copied = rest_parser(|| {
        |input: &[u8]| -> Result<(&[u8], u8), NomError> {
            let (&first, rest) = input.split_first().ok_or(NomError::Incomplete(1))?;
            let copy: &'static [u8] = Box::leak(rest.to_vec().into_boxed_slice());
            Ok((if copy.is_empty() { rest } else { copy }, first))
        }
    })
    .incomplete_when(|e: &NomError| matches!(e, NomError::Incomplete(_)));
    let encode = |b: &u8, dst: &mut BytesMut| dst.put_u8(*b);
    let failure = Checker::new(copied, encode, 0u8..=255)
        .check(&[1, 2], &Plan::default())
        .expect_err("a broken contract");
    assert!(matches!(failure.fault, Fault::Broken { .. }), "{failure}");
    assert!(
        failure
            .to_string()
            .contains("that is not the end of its input"),
        "{failure}"
    );
}

// ---- parsers that consume bytes without a message ----------------------------------------

/// Values in braces, a newline after each, as a JSON-lines stream; leading newlines skipped
/// with `Parsed::Skip`. With `skips` false (the bug), the parser cannot consume bytes without a
/// value: it says "incomplete" instead, and the last newline is left over.
fn braced_values(skips: bool) -> impl Fn(&[u8]) -> Parsed<String> {
    move |input| {
        let blank = input.iter().take_while(|&&b| b == b'\n').count();
        if blank > 0 && (skips || blank < input.len()) {
            return Parsed::Skip(blank);
        }
        match input.iter().position(|&b| b == b'}') {
            Some(end) if input[0] == b'{' => Parsed::Message(
                String::from_utf8_lossy(&input[1..end]).into_owned(),
                end + 1,
            ),
            _ => Parsed::Incomplete,
        }
    }
}

fn encode_braced(value: &String, dst: &mut BytesMut) {
    dst.put_slice(format!("{{{value}}}\n").as_bytes());
}

fn braced_checker(skips: bool) -> Checker<String> {
    Checker::new(
        parser(move || braced_values(skips)),
        encode_braced,
        "[a-z]{0,4}",
    )
    // The last newline may be missing (see the optional trailers below).
    .truncation(Truncation::TrailerOptional(b"\n"))
}

#[test]
fn a_parser_that_cannot_skip_whitespace_leaves_the_last_newline() {
    let failure = braced_checker(false)
        .run()
        .expect_err("the planted bug must be caught");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::Leftover { bytes: 1 }),
        "{failure}"
    );
    braced_checker(true).assert();
}

// ---- optional trailers -------------------------------------------------------------------

/// Numbers, a newline after each, the last one's optional. With `digits_at_end` (the bug), at
/// the end of the stream the digits left are a last number, though a number cut in two looks
/// the same.
struct Numbers {
    digits_at_end: bool,
}

fn number(digits: &[u8]) -> Result<u32, String> {
    std::str::from_utf8(digits)
        .map_err(|e| e.to_string())?
        .parse()
        .map_err(|e: std::num::ParseIntError| e.to_string())
}

impl lenframe::testkit::Decode for Numbers {
    type Message = u32;
    type Error = String;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<u32>, String> {
        let Some(end) = buf.iter().position(|&b| b == b'\n') else {
            return Ok(None);
        };
        let line = buf.split_to(end + 1);
        number(&line[..end]).map(Some)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<u32>, String> {
        match self.decode(buf)? {
            None if self.digits_at_end && !buf.is_empty() => number(&buf.split()).map(Some),
            decoded => Ok(decoded),
        }
    }
}

fn numbers(digits_at_end: bool) -> Numbers {
    Numbers { digits_at_end }
}

fn encode_number(n: &u32, dst: &mut BytesMut) {
    dst.put_slice(format!("{n}\n").as_bytes());
}

#[test]
fn an_optional_trailer_still_catches_a_number_cut_in_two() {
    let checker = |bug: bool| {
        Checker::new(move || numbers(bug), encode_number, 10u32..100_000)
            .truncation(Truncation::TrailerOptional(b"\n"))
    };
    // The bug: "12" cut after "1" comes out as 1.
    let failure = checker(true)
        .run()
        .expect_err("the planted bug must be caught");
    assert!(
        matches!(
            (failure.run, &failure.fault),
            (
                Run::Truncated { .. },
                Fault::TruncatedMessageReturned { index: 0 }
            )
        ),
        "{failure}"
    );
    // `AllowRest` cannot tell it from a last line: it lets the bug through.
    Checker::new(|| numbers(true), encode_number, 10u32..100_000)
        .truncation(Truncation::AllowRest)
        .assert();
    // The twin, which leaves digits without a newline where they are, passes.
    checker(false).assert();
}

#[test]
fn where_only_the_trailer_is_missing_the_message_may_come_out_whole() {
    // Brace-delimited values come out as soon as their brace is in, newline or not: by the
    // default rule, a stream cut before the last newline is a cut value returned (a false
    // report, since only the trailer is missing); with the trailer optional, it passes.
    let failure = braced_checker(true)
        .truncation(Truncation::Reported)
        .run()
        .expect_err("by the default rule the trailer is part of the message");
    assert!(
        matches!(failure.fault, Fault::TruncatedMessageReturned { .. }),
        "{failure}"
    );
    braced_checker(true).assert();
}

// ---- "incomplete" said with an error, on every shape ----------------------------------------

#[derive(Debug, PartialEq)]
enum MqttError {
    InsufficientBytes(usize),
    MalformedPacket,
}

/// mqttbytes' shape: `read(&mut BytesMut) -> Result<Packet, Error>`, "incomplete" an error. A
/// one-byte length, then the body. With `eats_header` (the bug), the header is consumed before
/// the body is known to be there.
fn read_packet(buf: &mut BytesMut, eats_header: bool) -> Result<Vec<u8>, MqttError> {
    let Some(&len) = buf.first() else {
        return Err(MqttError::InsufficientBytes(1));
    };
    if len == 0xFF {
        return Err(MqttError::MalformedPacket);
    }
    let len = usize::from(len);
    if eats_header {
        buf.advance(1);
        if buf.len() < len {
            return Err(MqttError::InsufficientBytes(len - buf.len()));
        }
    } else {
        if buf.len() <= len {
            return Err(MqttError::InsufficientBytes(len + 1 - buf.len()));
        }
        buf.advance(1);
    }
    Ok(buf.split_to(len).to_vec())
}

fn mqtt_checker(eats_header: bool) -> Checker<Vec<u8>> {
    let decoder =
        Decoder::from(move || move |buf: &mut BytesMut| read_packet(buf, eats_header).map(Some))
            .incomplete_when(|e: &MqttError| matches!(e, MqttError::InsufficientBytes(_)));
    Checker::new(decoder, encode_length_prefixed, vec(0u8..=254, 0..6))
}

#[test]
fn a_decoder_that_says_incomplete_with_an_error_is_checked_as_it_is() {
    // Cut after its header, a packet loses it: the truncation goes unreported, or in chunks,
    // the body is read as a header.
    let failure = mqtt_checker(true)
        .run()
        .expect_err("the planted bug must be caught");
    assert!(
        matches!(failure.run, Run::Truncated { .. } | Run::Chunked),
        "{failure}"
    );
    let failure = mqtt_checker(true)
        .truncation(Truncation::Off)
        .run()
        .expect_err("the planted bug must be caught");
    assert_eq!(failure.run, Run::Chunked, "{failure}");
    mqtt_checker(false).assert();
    // Its other errors stay errors.
    let failure = mqtt_checker(false)
        .check(&[vec![0xFF; 0xFF]], &Plan::default())
        .expect_err("a malformed packet is an error");
    assert_eq!(failure.fault, Fault::Error { index: 0 }, "{failure}");
    assert!(failure.to_string().contains("MalformedPacket"), "{failure}");
}

#[test]
fn incomplete_when_of_another_error_type_is_a_mistake_named_at_once() {
    let decoder = Decoder::from(|| |buf: &mut BytesMut| read_packet(buf, false).map(Some))
        .incomplete_when(|e: &std::io::Error| e.kind() == std::io::ErrorKind::UnexpectedEof);
    let checker = Checker::new(decoder, encode_length_prefixed, vec(0u8..=254, 0..6));
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| checker.run()))
        .expect_err("a mistake in the test, not a failure of the decoder");
    let text = panic_text(payload.as_ref());
    assert!(
        text.contains("incomplete_when takes errors of type `std::io::error::Error`"),
        "{text}"
    );
    assert!(text.contains("MqttError"), "{text}");
}
