//! Every way to run the testkit's checker reports a planted bug and passes its correct twin:
//! `assert` and `run`; one given case (`check_case`, `check_plan`); the fuzz engine
//! (`check_input`, `fuzz`, `replay`), fed the input a property failure was recorded as; messages
//! from a strategy, from `Arbitrary`, and through a fallible encoder.

use std::cell::RefCell;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::rc::Rc;

use bytes::{Buf, BufMut, BytesMut};
use lenframe::testkit::{
    fallible, stateful, Checker, Chunking, Decode, Encode, Fault, Plan, Subject, Truncation,
    Violation, MAX_MESSAGES,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// One length byte, then the body. With `whole_reads` (the planted bug), once the length byte is
/// in, the body is whatever has arrived: a decoder that assumes a read holds a whole message.
fn tiny(whole_reads: bool) -> impl FnMut(&mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
    move |buf| {
        let Some(&len) = buf.first() else {
            return Ok(None);
        };
        let len = usize::from(len);
        if buf.len() <= len && !whole_reads {
            return Ok(None);
        }
        buf.advance(1);
        let body = buf.split_to(len.min(buf.len()));
        Ok(Some(body.to_vec()))
    }
}

#[allow(clippy::ptr_arg)] // an encoder of `Vec<u8>` messages takes `&Vec<u8>`
fn encode(msg: &Vec<u8>, dst: &mut BytesMut) {
    dst.put_u8(u8::try_from(msg.len()).expect("messages under 256 bytes"));
    dst.put_slice(msg);
}

fn message() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..8)
}

fn checker(
    whole_reads: bool,
) -> Checker<Vec<u8>, impl Subject<Message = Vec<u8>>, impl Encode<Vec<u8>>> {
    Checker::new(move || tiny(whole_reads), encode, message())
}

/// A folder of its own under the system's temporary folder, empty.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "lenframe-entry-points-{}-{name}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}

#[test]
fn assert_panics_with_the_report_of_run_and_passes_the_twin() {
    checker(false).assert();
    let payload = panic::catch_unwind(AssertUnwindSafe(|| checker(true).assert()))
        .expect_err("assert must panic on the planted bug");
    let failure = checker(true).run().expect_err("run must report it too");
    assert_eq!(panic_text(payload.as_ref()), failure.to_string());
}

#[test]
fn check_case_fails_on_the_one_cut_that_breaks_the_decoder() {
    // Truncation off: only the cut can break this decoder.
    let buggy = checker(true).truncation(Truncation::Off);
    let message = vec![7, 8, 9];
    assert!(buggy
        .check_case(std::slice::from_ref(&message), &[])
        .is_ok());
    let failure = buggy
        .check_case(std::slice::from_ref(&message), &[1])
        .expect_err("a cut between header and body breaks it");
    assert!(
        matches!(failure.violation, Violation::Chunked(_)),
        "{failure}"
    );
    assert_eq!(failure.cuts, [1]);
    assert_eq!(failure.messages, std::slice::from_ref(&message));
    assert_eq!(failure.wire, [3, 7, 8, 9]);
    assert_eq!(failure.case, 0);
    assert!(checker(false).check_case(&[message], &[1]).is_ok());
}

#[test]
fn check_plan_fails_on_a_plan_that_breaks_the_decoder() {
    let buggy = checker(true).truncation(Truncation::Off);
    let messages = [vec![1, 2], vec![3]];
    let every_byte = Plan {
        chunking: Chunking::EVERY_BYTE,
        ..Plan::default()
    };
    assert!(buggy.check_plan(&messages, &Plan::default()).is_ok());
    let failure = buggy
        .check_plan(&messages, &every_byte)
        .expect_err("byte by byte breaks it");
    assert!(
        matches!(failure.violation, Violation::Chunked(_)),
        "{failure}"
    );
    assert!(checker(false).check_plan(&messages, &every_byte).is_ok());
}

/// The planted bug of the truncation oracle: at the end of the stream, whatever is buffered is
/// returned as a last message, even the start of a cut one. Whole streams decode right.
struct RestAtEof<const BUG: bool>;

impl<const BUG: bool> Decode for RestAtEof<BUG> {
    type Message = Vec<u8>;
    type Error = ();

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
        tiny(false)(buf)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
        match self.decode(buf)? {
            None if BUG && !buf.is_empty() => Ok(Some(buf.split().to_vec())),
            decoded => Ok(decoded),
        }
    }
}

/// [`RestAtEof`], whose last message at the end of the stream comes in two (the bug).
struct RestInTwo;

impl Decode for RestInTwo {
    type Message = Vec<u8>;
    type Error = ();

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
        tiny(false)(buf)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
        match self.decode(buf)? {
            None if !buf.is_empty() => Ok(Some(buf.split_to(1).to_vec())),
            decoded => Ok(decoded),
        }
    }
}

#[test]
fn a_stream_cut_short_that_yields_two_messages_for_the_cut_one_names_the_extra() {
    // The fuzz engine visits the plan's one truncation point: byte 2 of 02 05 06.
    let input = Plan {
        truncate: Some(2),
        ..Plan::default()
    }
    .to_bytes();
    let failure = Checker::with_lists(|| RestInTwo, encode, Just(vec![vec![5, 6]]))
        .check_input(&input)
        .unwrap_err();
    assert_eq!(
        failure.violation,
        Violation::Truncated {
            at: 2,
            fault: Fault::ExtraMessages { index: 1 }
        },
        "{failure}"
    );
}

#[test]
fn a_recorded_property_failure_fails_again_under_the_fuzz_engine() {
    // Two planted bugs: one caught by a cut, one only by a stream cut short (the oracle the
    // fuzz format names a truncation point for).
    let dir = scratch("recorded");
    let cut = checker(true).record_failures(&dir).run().unwrap_err();
    let short = Checker::new(|| RestAtEof::<true>, encode, message())
        .record_failures(&dir)
        .run()
        .unwrap_err();
    assert!(
        matches!(short.violation, Violation::Truncated { .. }),
        "{short}"
    );
    for failure in [&cut, &short] {
        let path = failure
            .recorded
            .clone()
            .expect("the failing input is written");
        assert!(path.starts_with(&dir));
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(name.starts_with("proptest-"), "{name}");
        assert!(failure.to_string().contains(name));
        let input = fs::read(&path).unwrap();
        assert_eq!(Some(&input), failure.input.as_ref());
    }
    // A failure in a stream cut short is recorded with its truncation point, which the fuzz
    // format holds (the property engine visits many; the fuzz engine the one it is given).
    let (plan, _) = Plan::parse(short.input.as_ref().unwrap());
    assert!(plan.truncate.is_some(), "{plan:?}");
    // Names follow content: another input, another file.
    assert_ne!(cut.input, short.input);
    assert_ne!(cut.recorded, short.recorded);

    let cut_input = cut.input.clone().unwrap();
    let again = checker(true).check_input(&cut_input).unwrap_err();
    assert_eq!(again.input.as_ref(), Some(&cut_input));
    assert!(checker(false).check_input(&cut_input).is_ok());

    let short_input = short.input.clone().unwrap();
    let again = Checker::new(|| RestAtEof::<true>, encode, message())
        .check_input(&short_input)
        .unwrap_err();
    assert!(
        matches!(again.violation, Violation::Truncated { .. }),
        "{again}"
    );
    assert!(Checker::new(|| RestAtEof::<false>, encode, message())
        .check_input(&short_input)
        .is_ok());

    // `fuzz` is `check_input` that panics with the report.
    let payload = panic::catch_unwind(AssertUnwindSafe(|| checker(true).fuzz(&cut_input)))
        .expect_err("fuzz must panic on a failing input");
    let report = checker(true)
        .check_input(&cut_input)
        .unwrap_err()
        .to_string();
    assert_eq!(panic_text(payload.as_ref()), report);
    checker(false).fuzz(&cut_input);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn the_fuzz_format_draws_the_messages_from_the_bytes_after_the_plan() {
    // A plan that cuts after the first byte, then message bytes: the strategy draws from them,
    // so some input of a few bytes must mean a case that fails; with no message bytes, the
    // case is the one drawn from the pseudo-random tail alone, the same for every plan.
    let plan = Plan {
        chunking: Chunking::at(&[1]),
        ..Plan::default()
    }
    .to_bytes();
    let buggy = checker(true).truncation(Truncation::Off);
    let failing = (0u8..=255)
        .map(|b| {
            let mut input = plan.clone();
            input.extend_from_slice(&[b, b, b, b]);
            input
        })
        .find(|input| buggy.check_input(input).is_err())
        .expect("some message bytes mean a failing case");
    let failure = buggy.check_input(&failing).unwrap_err();
    assert_eq!(failure.cuts, [1]);
    assert!(failure.messages.iter().any(|m| !m.is_empty()), "{failure}");
    assert!(checker(false).check_input(&failing).is_ok());
}

#[test]
fn a_strategy_that_needs_more_bytes_than_the_input_holds_still_draws_a_case() {
    // 1000 draws from `0..=8`, about 4 KB of random bytes, from an input with none: the
    // input's pseudo-random tail serves them (on zeros, this range's sampling would never end).
    let one_byte = |buf: &mut BytesMut| -> Result<Option<u8>, ()> {
        Ok((!buf.is_empty()).then(|| buf.get_u8()))
    };
    let encode_byte = |b: &u8, dst: &mut BytesMut| dst.put_u8(*b);
    let checker = Checker::with_lists(move || one_byte, encode_byte, vec(0u8..=8, 1000));
    assert!(checker.check_input(&Plan::default().to_bytes()).is_ok());
}

#[test]
fn replay_runs_findings_first_and_names_each_failing_file() {
    let dir = scratch("replay");
    let failing = checker(true)
        .record_failures(scratch("replay-source"))
        .run()
        .unwrap_err()
        .input
        .unwrap();
    // A plan with no cut and no message bytes: a case that passes either way.
    fs::write(dir.join("a-passing"), Plan::default().to_bytes()).unwrap();
    fs::write(dir.join("b-failing"), &failing).unwrap();
    fs::write(dir.join("crash-failing"), &failing).unwrap();
    assert_eq!(checker(false).replay(&dir), 3);

    let payload = panic::catch_unwind(AssertUnwindSafe(|| checker(true).replay(&dir)))
        .expect_err("replay must fail on the failing files");
    let text = panic_text(payload.as_ref());
    assert!(text.starts_with("2 of 3 inputs in "), "{text}");
    let crash = text
        .find("crash-failing:")
        .expect("the crash file is named");
    let other = text.find("b-failing:").expect("the other file is named");
    assert!(crash < other, "crash files come first:\n{text}");
    assert!(!text.contains("a-passing"), "{text}");
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn replay_of_a_folder_with_no_input_fails() {
    let dir = scratch("empty");
    let payload = panic::catch_unwind(AssertUnwindSafe(|| checker(false).replay(&dir)))
        .expect_err("a replay that runs nothing must fail");
    assert!(panic_text(payload.as_ref()).contains("holds no input"));
    let _ = fs::remove_dir_all(&dir);
}

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

/// A cursor parser of `tiny` frames that reads its length byte at the start of the buffer
/// instead of at the cursor's position (the planted bug of the junk oracle), or at the position.
fn cursor_tiny(
    from_start: bool,
) -> impl FnMut(&mut std::io::Cursor<&[u8]>) -> std::io::Result<Vec<u8>> {
    move |cursor| {
        let at = usize::try_from(cursor.position()).unwrap();
        let input = *cursor.get_ref();
        let len_at = if from_start { 0 } else { at };
        let len = usize::from(*input.get(len_at).ok_or(std::io::ErrorKind::UnexpectedEof)?);
        let body = input
            .get(at + 1..at + 1 + len)
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        cursor.set_position(u64::try_from(at + 1 + len).unwrap());
        Ok(body.to_vec())
    }
}

#[test]
fn a_reported_failure_fails_again_from_its_messages_and_plan() {
    let cut = checker(true).run().unwrap_err();
    let again = checker(true)
        .check_plan(&cut.messages, &cut.plan)
        .unwrap_err();
    assert_eq!(again.violation, cut.violation);

    let short_checker = Checker::new(|| RestAtEof::<true>, encode, message());
    let short = short_checker.run().unwrap_err();
    assert!(
        matches!(short.violation, Violation::Truncated { .. }),
        "{short}"
    );
    let again = short_checker
        .check_plan(&short.messages, &short.plan)
        .unwrap_err();
    assert_eq!(again.violation, short.violation);

    let parse = |from_start| {
        lenframe::testkit::cursor_parser(move || cursor_tiny(from_start))
            .incomplete_when(lenframe::testkit::unexpected_eof)
    };
    let junk = Checker::new(parse(true), encode, message())
        .run()
        .unwrap_err();
    assert!(matches!(junk.violation, Violation::Junk(_)), "{junk}");
    assert_eq!((junk.junk, junk.plan.junk), (1, 1), "{junk}");
    let again = Checker::new(parse(true), encode, message())
        .check_plan(&junk.messages, &junk.plan)
        .unwrap_err();
    assert_eq!(again.violation, junk.violation);
    Checker::new(parse(false), encode, message()).assert();
}

/// Two bytes of a fuzz input: a `tiny` frame of `len % 4` bytes of `fill`.
#[derive(Clone, Debug, PartialEq, arbitrary::Arbitrary)]
struct Tiny {
    len: u8,
    fill: u8,
}

fn encode_tiny(m: &Tiny, dst: &mut BytesMut) {
    encode(&vec![m.fill; usize::from(m.len % 4)], dst);
}

/// `tiny`, with its planted bug for frames of exactly 2 bytes only.
fn picky(buf: &mut BytesMut) -> Result<Option<Tiny>, ()> {
    let whole_reads = buf.first() == Some(&2);
    Ok(tiny(whole_reads)(buf)?.map(|body| Tiny {
        len: u8::try_from(body.len()).unwrap(),
        fill: body.first().copied().unwrap_or(0),
    }))
}

#[test]
fn the_fuzz_engine_drops_what_the_failure_does_not_need() {
    let checker = Checker::arbitrary(|| picky, encode_tiny)
        .compare(|sent: &Tiny, got: &Tiny| {
            sent.len % 4 == got.len && (sent.len % 4 == 0 || sent.fill == got.fill)
        })
        .truncation(Truncation::Off);
    // Cut after every byte, an `Interrupted` before every 3rd read, 9 bytes of junk; then five
    // frames: [0] [1, 5] [0] [2, 7, 7] [1, 1]. Only the cut inside [2, 7, 7] breaks the decoder.
    let mut input = Plan {
        chunking: Chunking::EVERY_BYTE,
        interrupt_every: 3,
        junk: 9,
        ..Plan::default()
    }
    .to_bytes();
    input.extend_from_slice(&[0, 0, 1, 5, 0, 0, 2, 7, 1, 1]);
    let failure = checker.check_input(&input).unwrap_err();
    assert!(
        matches!(failure.violation, Violation::Chunked(_)),
        "{failure}"
    );
    // The other frames dropped, the cuts after them moved back with them, the rest of the
    // plan reduced to what the failure needs.
    assert_eq!(failure.messages, [Tiny { len: 2, fill: 7 }], "{failure}");
    assert_eq!(failure.cuts, [1], "{failure}");
    assert_eq!(failure.plan.interrupt_every, 0);
    assert_eq!(failure.plan.junk, 1);
    assert_eq!(failure.plan.chunking, Chunking::at(&[1]));
    // A cut at the end of the frame's body, moved as early as it still fails.
    let mut input = Plan {
        chunking: Chunking::at(&[2]),
        ..Plan::default()
    }
    .to_bytes();
    input.extend_from_slice(&[2, 7]);
    let failure = checker.check_input(&input).unwrap_err();
    assert_eq!(failure.cuts, [1], "{failure}");
}

/// `tiny` with a state: the length byte is taken as soon as it is in, the body waited for. With
/// `forgets` (the bug), the second call that finds part of the body but not all drops the
/// length, as if its state were reset at a chunk boundary: it takes two cuts inside a body.
struct Forgetful {
    len: Option<usize>,
    partial_calls: usize,
    forgets: bool,
}

impl Decode for Forgetful {
    type Message = Vec<u8>;
    type Error = String;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<u8>>, String> {
        let len = match self.len {
            Some(len) => len,
            None => {
                let Some(&len) = buf.first() else {
                    return Ok(None);
                };
                buf.advance(1);
                *self.len.insert(usize::from(len))
            }
        };
        if buf.len() < len {
            if !buf.is_empty() {
                self.partial_calls += 1;
                if self.forgets && self.partial_calls == 2 {
                    self.len = None;
                }
            }
            return Ok(None);
        }
        self.len = None;
        self.partial_calls = 0;
        Ok(Some(buf.split_to(len).to_vec()))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<u8>>, String> {
        match self.decode(buf)? {
            None if self.len.is_some() || !buf.is_empty() => Err("cut".to_owned()),
            decoded => Ok(decoded),
        }
    }
}

#[test]
fn the_fuzz_engine_keeps_every_cut_a_failure_needs_each_as_early_as_it_fails() {
    let checker = |forgets: bool| {
        Checker::with_lists(
            move || Forgetful {
                len: None,
                partial_calls: 0,
                forgets,
            },
            encode,
            Just(vec![vec![9, 9, 9, 9]]),
        )
    };
    // The wire: 04 09 09 09 09, cut at 2 and 4; the second cut moves back to 3.
    let input = Plan {
        chunking: Chunking::at(&[2, 4]),
        ..Plan::default()
    }
    .to_bytes();
    let failure = checker(true).check_input(&input).unwrap_err();
    assert_eq!(failure.cuts, [2, 3], "{failure}");
    assert!(checker(false).check_input(&input).is_ok());

    // A chunking that cut after every byte, reported (and kept in the plan) as the one cut it
    // needs.
    let every_byte = Plan {
        chunking: Chunking::EVERY_BYTE,
        ..Plan::default()
    }
    .to_bytes();
    let failure = Checker::with_lists(|| tiny(true), encode, Just(vec![vec![5]]))
        .truncation(Truncation::Off)
        .check_input(&every_byte)
        .unwrap_err();
    assert_eq!(failure.cuts, [1], "{failure}");
    assert_eq!(failure.plan.chunking, Chunking::at(&[1]));
}

/// [`cursor_tiny`] with its junk bug and a cut bug besides: a body cut short is taken as it is.
fn cursor_tiny_twice_wrong(cursor: &mut std::io::Cursor<&[u8]>) -> std::io::Result<Vec<u8>> {
    let at = usize::try_from(cursor.position()).unwrap();
    let input = *cursor.get_ref();
    let len = usize::from(*input.first().ok_or(std::io::ErrorKind::UnexpectedEof)?);
    let body = &input[(at + 1).min(input.len())..(at + 1 + len).min(input.len())];
    if body.is_empty() && len > 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    cursor.set_position(u64::try_from(at + 1 + body.len()).unwrap());
    Ok(body.to_vec())
}

#[test]
fn a_failure_in_chunks_is_reported_as_such_though_junk_would_fail_too() {
    let parse = lenframe::testkit::cursor_parser(|| cursor_tiny_twice_wrong)
        .incomplete_when(lenframe::testkit::unexpected_eof);
    let failure = Checker::new(parse, encode, message())
        .truncation(Truncation::Off)
        .check_plan(
            &[vec![4, 5]],
            &Plan {
                chunking: Chunking::at(&[2]),
                junk: 2,
                ..Plan::default()
            },
        )
        .unwrap_err();
    assert!(
        matches!(failure.violation, Violation::Chunked(_)),
        "{failure}"
    );
    assert_eq!(failure.junk, 0, "{failure}");
}

#[test]
fn the_property_engine_runs_the_cases_it_is_told_and_shrinks_within_its_budget() {
    let streams = Rc::new(RefCell::new(0));
    let counted = Rc::clone(&streams);
    let encode_counted = stateful(move || {
        *counted.borrow_mut() += 1;
        encode
    });
    Checker::new(|| tiny(false), encode_counted, message())
        .cases(10)
        .run()
        .unwrap();
    assert_eq!(*streams.borrow(), 10, "one stream a case");

    let failure = checker(true).shrink_steps(3).run().unwrap_err();
    assert_eq!(failure.shrink_steps, 3, "{failure}");
}

#[test]
fn a_checker_whose_encoder_fails_on_everything_gives_up_and_says_why() {
    let refuse = fallible(|_: &Vec<u8>, _: &mut BytesMut| Err("no"));
    let payload = panic::catch_unwind(AssertUnwindSafe(|| {
        Checker::with_lists(|| tiny(false), refuse, vec(message(), 1..4))
            .run()
            .is_ok()
    }))
    .expect_err("a check that can encode no case must not pass");
    assert!(
        panic_text(payload.as_ref()).contains("the encoder failed"),
        "{}",
        panic_text(payload.as_ref())
    );
}

#[test]
fn a_failure_report_reads_to_the_letter() {
    let cut = checker(true)
        .truncation(Truncation::Off)
        .check_case(&[vec![7, 8, 9], vec![1]], &[1])
        .unwrap_err();
    assert_eq!(
        cut.to_string(),
        "\
decoding in one piece was right, but in chunks the decoder returned another message than message 0
  messages encoded (2): [[7, 8, 9], [1]]
  stream (6 bytes): 03 07 08 09 01 01
  messages end at [4, 6]
  cut at [1]: chunks of [1, 5] bytes
  decoded in one piece: [[7, 8, 9], [1]], then a clean end, 0 bytes left in the buffer
  decoded in chunks:    [[], [8, 9, 1, 1]], then a clean end, 0 bytes left in the buffer"
    );
    assert_eq!(cut.chunk_lengths(), [1, 5]);

    // Past 64 bytes the stream is counted, past 120 characters a message is.
    let long = checker(true)
        .truncation(Truncation::Off)
        .check_case(&[vec![0xAB; 7], vec![0xCD; 100]], &[1])
        .unwrap_err();
    let report = long.to_string();
    let stream_line = report.lines().nth(2).unwrap();
    assert!(
        stream_line.starts_with("  stream (109 bytes): 07 ab ab ab ab ab ab ab 64 cd"),
        "{report}"
    );
    assert!(stream_line.ends_with(" cd ... (45 more)"), "{report}");
    let chunked_line = report.lines().nth(6).unwrap();
    assert!(
        chunked_line
            .ends_with("... (415 more characters)], then a clean end, 0 bytes left in the buffer"),
        "{report}"
    );

    // 64 bytes are all shown.
    let report = checker(true)
        .truncation(Truncation::Off)
        .check_case(&[vec![0xAB; 7], vec![0xCD; 55]], &[1])
        .unwrap_err()
        .to_string();
    let stream_line = report.lines().nth(2).unwrap();
    assert!(
        stream_line.starts_with("  stream (64 bytes): 07 ab"),
        "{report}"
    );
    assert!(stream_line.ends_with(" cd cd"), "{report}");

    let short = Checker::new(|| RestAtEof::<true>, encode, message())
        .check_case(&[vec![5, 6]], &[])
        .unwrap_err();
    assert_eq!(
        short.to_string(),
        "\
with the stream cut short at byte 1, the decoder returned message 0 although the stream ended inside it
  messages encoded (1): [[5, 6]]
  stream (3 bytes): 02 05 06
  cut nowhere: one chunk
  decoded in one piece: [[5, 6]], then a clean end, 0 bytes left in the buffer
  decoded in chunks:    [[5, 6]], then a clean end, 0 bytes left in the buffer
  decoded cut short at byte 1, in chunks: [[2]], then a clean end, 0 bytes left in the buffer"
    );

    let parse = lenframe::testkit::cursor_parser(|| cursor_tiny(true))
        .incomplete_when(lenframe::testkit::unexpected_eof);
    let junk = Checker::new(parse, encode, message())
        .check_plan(
            &[vec![4]],
            &Plan {
                junk: 2,
                ..Plan::default()
            },
        )
        .unwrap_err();
    assert_eq!(
        junk.to_string(),
        "\
decoding in chunks was right, but with junk in front of its input the parser waited for more bytes with message 0 whole (it ends at byte 2, 2 had arrived): a peer waiting for the answer would wait forever (does it index from the buffer's start, not the input's?)
  messages encoded (1): [[4]]
  stream (2 bytes): 01 04
  cut nowhere: one chunk
  junk: 2 bytes in front of the input
  decoded in one piece: [[4]], then a clean end, 0 bytes left in the buffer
  decoded in chunks:    [[4]], then a clean end, 0 bytes left in the buffer
  decoded with 2 bytes of junk first: [], then a clean end, 2 bytes left in the buffer"
    );

    let found = checker(true).run().unwrap_err();
    assert_eq!(
        found.to_string(),
        "\
decoding in one piece was right, but in chunks the decoder split message 0 into two
  messages encoded (1): [[0]]
  stream (2 bytes): 01 00
  cut at [1]: chunks of [1, 1] bytes
  decoded in one piece: [[0]], then a clean end, 0 bytes left in the buffer
  decoded in chunks:    [[], []], and still more, where the check stopped, 0 bytes left in the buffer
  (case 1 of the search failed; 20 cases tried while shrinking it)"
    );
}

#[test]
fn a_checker_shows_its_settings() {
    let shown = format!("{:?}", checker(false).cases(7).seed(3));
    assert!(shown.starts_with("Checker {"), "{shown}");
    assert!(shown.contains("cases: Some(7)"), "{shown}");
    assert!(shown.contains("seed: Some(3)"), "{shown}");
}
