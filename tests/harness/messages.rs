//! What the checker takes as messages, each with a planted bug caught and its twin passing:
//! messages from `arbitrary::Arbitrary` (within the message limits), an encoder that cannot
//! encode every message (`Encoder::fallible`: its refusals skipped), messages without `Clone`,
//! a decoded type with neither `PartialEq`, `Debug` nor `Clone` turned into one that has them
//! (`Decoder::map`, which keeps its decoder's runs and name: junk for a cursor parser, cancel
//! points for an async reader), one compared by its `Debug` text
//! (`Decoder::compare_debug`), and an encoder that panics, reported as such.

use std::cell::RefCell;
use std::rc::Rc;

use bytes::{Buf, BufMut, BytesMut};
use lenframe::testkit::{Checker, Decoder, Encoder, Fault, Plan, Run};
use lenframe_support::tiny::{cursor_tiny, encode, message, tiny};
use proptest::prelude::*;

#[derive(Clone, Debug, PartialEq, arbitrary::Arbitrary)]
enum Command {
    Ping,
    Set(u8, u16),
}

fn encode_command(command: &Command, dst: &mut BytesMut) {
    match command {
        Command::Ping => dst.put_u8(0),
        Command::Set(key, value) => {
            dst.put_u8(1);
            dst.put_u8(*key);
            dst.put_u16(*value);
        }
    }
}

/// With `whole_reads` (the planted bug), a `Set` is taken as soon as its tag is in.
fn decode_command(whole_reads: bool) -> impl FnMut(&mut BytesMut) -> Result<Option<Command>, u8> {
    move |buf| match buf.first() {
        None => Ok(None),
        Some(0) => {
            buf.advance(1);
            Ok(Some(Command::Ping))
        }
        Some(1) if buf.len() < 4 && !whole_reads => Ok(None),
        Some(1) => {
            let mut body = [0; 4];
            let n = buf.len().min(4);
            body[..n].copy_from_slice(&buf[..n]);
            buf.advance(n);
            Ok(Some(Command::Set(
                body[1],
                u16::from_be_bytes([body[2], body[3]]),
            )))
        }
        Some(&other) => Err(other),
    }
}

/// A checker of `Arbitrary` commands that counts the messages of each case (the encoder is
/// made anew for each stream: one count per stream encoded).
fn arbitrary_checker(whole_reads: bool, counts: Rc<RefCell<Vec<usize>>>) -> Checker<Command> {
    let encode = Encoder::stateful(move || {
        counts.borrow_mut().push(0);
        let counts = Rc::clone(&counts);
        move |command: &Command, dst: &mut BytesMut| {
            *counts.borrow_mut().last_mut().unwrap() += 1;
            encode_command(command, dst);
        }
    });
    Checker::arbitrary(move || decode_command(whole_reads), encode)
}

#[test]
fn arbitrary_messages_catch_a_planted_bug_within_the_message_limits() {
    let counts = Rc::new(RefCell::new(Vec::new()));
    arbitrary_checker(false, Rc::clone(&counts))
        .run()
        .expect("the twin passes");
    let most = counts.borrow().iter().copied().max().unwrap();
    assert_eq!(most, 8, "cases of up to 8 messages");

    let failure = arbitrary_checker(true, Rc::new(RefCell::new(Vec::new())))
        .run()
        .expect_err("the planted bug must be caught");
    assert!(failure
        .messages
        .iter()
        .any(|c| matches!(c, Command::Set(..))));

    // From a fuzz input, up to 64 messages: bytes for 100 `Ping`s (4 bytes each, the
    // variant's index) make 64.
    let counts = Rc::new(RefCell::new(Vec::new()));
    let mut input = Plan::default().to_bytes();
    input.extend_from_slice(&[0; 400]);
    arbitrary_checker(false, Rc::clone(&counts)).fuzz(&input);
    assert_eq!(counts.borrow().first(), Some(&64));
}

#[test]
fn a_fallible_encoder_skips_what_it_cannot_encode() {
    // The encoder refuses messages over 4 bytes and writes nothing for them: those cases are
    // skipped, not counted as a decoder that lost a message. The rest are checked.
    let skipped = Rc::new(RefCell::new(0));
    let refusals = Rc::clone(&skipped);
    let refusing = Encoder::fallible(move |msg: &Vec<u8>, dst: &mut BytesMut| {
        if msg.len() > 4 {
            *refusals.borrow_mut() += 1;
            return Err("too long");
        }
        encode(msg, dst);
        Ok(())
    });
    Checker::new(|| tiny(false), refusing, message())
        .run()
        .unwrap();
    assert!(*skipped.borrow() > 0, "some messages were refused");

    let accepting = Encoder::fallible(|msg: &Vec<u8>, dst: &mut BytesMut| {
        encode(msg, dst);
        Ok::<(), ()>(())
    });
    assert!(Checker::new(|| tiny(true), accepting, message())
        .run()
        .is_err());
}

/// Decoded: no `PartialEq`, `Debug` or `Clone`.
struct Body(Vec<u8>);

/// `tiny` frames decoded into [`Body`]s, reversed with `reverse` (a bug in the content alone:
/// the count of messages is right).
fn bodies(whole_reads: bool, reverse: bool) -> Decoder<Body> {
    Decoder::from(move || {
        let mut decode = tiny(whole_reads);
        move |buf: &mut BytesMut| {
            decode(buf).map(|m| {
                m.map(|mut body| {
                    if reverse {
                        body.reverse();
                    }
                    Body(body)
                })
            })
        }
    })
}

#[test]
fn a_decoded_type_without_partial_eq_or_debug_is_mapped_into_one() {
    let checker = |whole_reads: bool, reverse: bool| {
        Checker::new(
            bodies(whole_reads, reverse).map(|body| body.0),
            encode,
            message(),
        )
    };
    checker(false, false).assert();
    let failure = checker(true, false)
        .run()
        .expect_err("the planted bug must be caught");
    assert_eq!(failure.run, Run::Chunked, "{failure}");
    // A bug in the content alone: only the comparison of the mapped messages sees it.
    let failure = checker(false, true)
        .run()
        .expect_err("a reversed body must be caught");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::WrongMessage { index: 0 }),
        "{failure}"
    );
}

/// A message type with `Debug` alone: no `PartialEq`, no `Clone`.
#[derive(Debug)]
struct Note(Vec<u8>);

#[test]
fn messages_without_partial_eq_or_clone_are_compared_by_their_debug_text() {
    let notes = || message().prop_map(Note);
    let encode_note = |note: &Note, dst: &mut BytesMut| encode(&note.0, dst);
    let decoder = |whole_reads: bool| {
        Decoder::from(move || {
            let mut decode = tiny(whole_reads);
            move |buf: &mut BytesMut| decode(buf).map(|m| m.map(Note))
        })
        .compare_debug()
    };
    Checker::new(decoder(false), encode_note, notes()).assert();
    let failure = Checker::new(decoder(true), encode_note, notes())
        .run()
        .expect_err("the planted bug must be caught");
    assert_eq!(failure.run, Run::Chunked, "{failure}");
    // Shown as their Debug text, in the report as anywhere.
    assert!(
        failure.chunked.messages[0].starts_with("Note(["),
        "{failure}"
    );
}

#[test]
fn an_encoder_that_panics_is_reported_with_its_message_and_the_message_it_panicked_on() {
    // Panics on messages of 5 bytes or more; the smallest such case is one message of 5.
    let panicking = |msg: &Vec<u8>, dst: &mut BytesMut| {
        assert!(msg.len() < 5, "no room for {} bytes", msg.len());
        encode(msg, dst);
    };
    let failure = Checker::new(|| tiny(false), panicking, message())
        .run()
        .expect_err("the encoder's panic is a failure");
    assert_eq!(failure.run, Run::Encoding, "{failure}");
    assert_eq!(
        failure.fault,
        Fault::EncoderPanicked {
            index: 0,
            message: "no room for 5 bytes".to_owned()
        },
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 1, "{failure}");
    assert!(
        failure.to_string().starts_with(
            "encoding the messages, the encoder panicked on message 0: no room for 5 bytes"
        ),
        "{failure}"
    );
    // Its twin, which does not panic, passes.
    Checker::new(|| tiny(false), encode, message()).assert();
}

#[test]
fn an_encoder_with_its_own_random_source_is_seeded_by_the_case() {
    // Pads each message with 0 to 3 random bytes from its own generator: the checker's seed
    // makes every case, and every report, the same on each run.
    let padded = || {
        Encoder::seeded(|seed: u64| {
            let mut state = seed;
            move |msg: &Vec<u8>, dst: &mut BytesMut| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                let pad = usize::try_from(state >> 62).unwrap();
                encode(msg, dst);
                dst.put_bytes(0xFF, pad);
            }
        })
    };
    // The padding is taken as messages of 255 bytes cut short: the truncation check fails,
    // the same way on every run.
    let first = Checker::new(|| tiny(false), padded(), message()).run();
    let second = Checker::new(|| tiny(false), padded(), message()).run();
    assert!(first.is_err());
    assert_eq!(first, second);
}

#[test]
fn a_mapped_decoder_keeps_its_shape_s_runs() {
    // A cursor parser that indexes from the buffer's start fails only with junk in front of
    // its input: mapped, it still gets the junk run.
    let parser = lenframe::testkit::cursor_parser(|| cursor_tiny(true))
        .incomplete_when(lenframe::testkit::unexpected_eof)
        .map(|body: Vec<u8>| body);
    let failure = Checker::new(parser, encode, message())
        .run()
        .expect_err("caught with junk");
    assert_eq!(failure.run, Run::Junk, "{failure}");
    // Its name shows through the mapping.
    let plain = Decoder::from(|| tiny(true));
    let shown = format!("{plain:?}");
    assert_eq!(format!("{:?}", plain.map(|body: Vec<u8>| body)), shown);
}
