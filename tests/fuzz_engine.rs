//! The checker under the fuzz engine (`check_input`, `fuzz`, `replay`): a property failure
//! recorded as a fuzz input fails again; what the input's bytes mean (the plan, then the
//! messages), even when they run out; corpus replay, findings first, each failing file named;
//! and the engine's minimization, which drops what a failure does not need and keeps every cut
//! it does.

use std::fs;
use std::panic::{self, AssertUnwindSafe};

use bytes::{Buf, BufMut, BytesMut};
use lenframe::testkit::{Checker, Chunking, Decode, Plan, Truncation, Violation};
use proptest::collection::vec;
use proptest::prelude::*;

mod support;

use support::tiny::{checker, encode, message, tiny, REST_AT_EOF, REST_STAYS};
use support::{panic_text, scratch};

#[test]
fn a_recorded_property_failure_fails_again_under_the_fuzz_engine() {
    // Two planted bugs: one caught by a cut, one only by a stream cut short (the oracle the
    // fuzz format names a truncation point for).
    let dir = scratch("recorded");
    let cut = checker(true).record_failures(&dir).run().unwrap_err();
    let short = Checker::new(|| REST_AT_EOF, encode, message())
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
    let again = Checker::new(|| REST_AT_EOF, encode, message())
        .check_input(&short_input)
        .unwrap_err();
    assert!(
        matches!(again.violation, Violation::Truncated { .. }),
        "{again}"
    );
    assert!(Checker::new(|| REST_STAYS, encode, message())
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
