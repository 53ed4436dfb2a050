//! What the checker takes as messages, each with a planted bug caught and its twin passing:
//! messages from `arbitrary::Arbitrary` (within the message limits), an encoder that cannot
//! encode every message (`fallible`: its refusals skipped), and a decoded type with neither
//! `PartialEq`, `Debug` nor `Clone`, compared by a function and shown by a renderer the user
//! gives.

use std::cell::RefCell;
use std::rc::Rc;

use bytes::{Buf, BufMut, BytesMut};
use lenframe::testkit::{
    fallible, stateful, Checker, Encode, Fault, Plan, Subject, Violation, MAX_MESSAGES,
};

mod support;

use support::tiny::{encode, message, tiny};

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
fn arbitrary_checker(
    whole_reads: bool,
    counts: Rc<RefCell<Vec<usize>>>,
) -> Checker<Command, impl Subject<Message = Command>, impl Encode<Command>> {
    let encode = stateful(move || {
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
    assert_eq!(most, MAX_MESSAGES, "cases of up to MAX_MESSAGES messages");

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
    arbitrary_checker(false, Rc::clone(&counts))
        .check_input(&input)
        .expect("the twin passes");
    assert_eq!(counts.borrow().first(), Some(&64));
}

#[test]
fn a_fallible_encoder_skips_what_it_cannot_encode() {
    // The encoder refuses messages over 4 bytes and writes nothing for them: those cases are
    // skipped, not counted as a decoder that lost a message. The rest are checked.
    let skipped = Rc::new(RefCell::new(0));
    let refusals = Rc::clone(&skipped);
    let refusing = fallible(move |msg: &Vec<u8>, dst: &mut BytesMut| {
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

    let accepting = fallible(|msg: &Vec<u8>, dst: &mut BytesMut| {
        encode(msg, dst);
        Ok::<(), ()>(())
    });
    assert!(Checker::new(|| tiny(true), accepting, message())
        .run()
        .is_err());
}

/// Decoded: no `PartialEq`, `Debug` or `Clone`.
struct Body(Vec<u8>);

#[test]
fn a_comparison_the_user_gives_decides_and_a_renderer_shows_the_messages() {
    let checker = |whole_reads: bool| {
        Checker::new(
            move || {
                let mut decode = tiny(whole_reads);
                move |buf: &mut BytesMut| decode(buf).map(|m| m.map(Body))
            },
            encode,
            message(),
        )
        .compare(|sent: &Vec<u8>, got: &Body| *sent == got.0)
        .render(|got: &Body| format!("body {:02x?}", got.0))
    };
    checker(false).assert();
    let failure = checker(true)
        .run()
        .expect_err("the planted bug must be caught");
    assert!(failure.to_string().contains("body ["), "{failure}");

    // A bug in the content alone, the count of messages right: only the comparison sees it.
    let reversed = Checker::new(
        || {
            let mut decode = tiny(false);
            move |buf: &mut BytesMut| {
                decode(buf).map(|m| {
                    m.map(|mut body| {
                        body.reverse();
                        Body(body)
                    })
                })
            }
        },
        encode,
        message(),
    )
    .compare(|sent: &Vec<u8>, got: &Body| *sent == got.0)
    .render(|got: &Body| format!("body {:02x?}", got.0));
    let failure = reversed.run().expect_err("a reversed body must be caught");
    assert!(
        matches!(
            failure.violation,
            Violation::OnePiece(Fault::WrongMessage { index: 0 })
        ),
        "{failure}"
    );
}
