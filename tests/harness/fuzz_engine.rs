//! The checker under the fuzz engine (`fuzz`, `replay`): a property failure recorded as a fuzz
//! input fails again; what the input's bytes mean (the plan, then the messages), even when they
//! run out; corpus replay, findings first, each failing file named, every entry it cannot run
//! named with the reason; and the engine's minimization, which drops what a failure does not
//! need and keeps every cut it does.

use std::fs;
use std::panic::{self, AssertUnwindSafe};

use bytes::{Buf, BufMut, BytesMut};
use lenframe::testkit::{Checker, Decode, Plan, Run, Truncation};
use lenframe_support::tiny::{checker, encode, message, tiny, REST_AT_EOF, REST_STAYS};
use lenframe_support::{panic_text, scratch};
use proptest::collection::vec;
use proptest::prelude::*;

use crate::fuzz_report;

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
    assert!(matches!(short.run, Run::Truncated { .. }), "{short}");
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
    let again = fuzz_report(&checker(true), &cut_input).expect("the recorded input fails");
    assert_eq!(
        again.lines().next(),
        cut.to_string().lines().next(),
        "the same failure:\n{again}"
    );
    assert!(fuzz_report(&checker(false), &cut_input).is_none());

    let short_input = short.input.clone().unwrap();
    let again = fuzz_report(
        &Checker::new(|| REST_AT_EOF, encode, message()),
        &short_input,
    )
    .expect("the recorded input fails");
    assert!(
        again.starts_with("with the stream cut short at byte"),
        "{again}"
    );
    assert!(fuzz_report(
        &Checker::new(|| REST_STAYS, encode, message()),
        &short_input
    )
    .is_none());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn the_fuzz_format_draws_the_messages_from_the_bytes_after_the_plan() {
    // A plan that cuts after the first byte, then message bytes: the strategy draws from them,
    // so some input of a few bytes must mean a case that fails; with no message bytes, the
    // case is the one drawn from the pseudo-random tail alone, the same for every plan.
    let plan = Plan::at(&[1]).to_bytes();
    let buggy = checker(true).truncation(Truncation::Off);
    let (failing, report) = (0u8..=255)
        .find_map(|b| {
            let mut input = plan.clone();
            input.extend_from_slice(&[b, b, b, b]);
            fuzz_report(&buggy, &input).map(|report| (input, report))
        })
        .expect("some message bytes mean a failing case");
    assert!(report.contains("\n  cut at [1]: "), "{report}");
    assert!(!report.contains("messages encoded (0)"), "{report}");
    assert!(fuzz_report(&checker(false), &failing).is_none());
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
    checker.fuzz(&Plan::default().to_bytes());
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
    assert!(!text.contains("not run"), "{text}");
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

/// A `tiny` frame of `len` bytes (0 to 3) of `fill` (0 when empty): two bytes of a fuzz input,
/// `len % 4` and `fill`, so that every input means a frame, and each frame one input.
#[derive(Clone, Debug, PartialEq)]
struct Tiny {
    len: u8,
    fill: u8,
}

impl<'a> arbitrary::Arbitrary<'a> for Tiny {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Tiny> {
        let len = <u8 as arbitrary::Arbitrary>::arbitrary(u)? % 4;
        let fill = <u8 as arbitrary::Arbitrary>::arbitrary(u)?;
        Ok(Tiny {
            len,
            fill: if len == 0 { 0 } else { fill },
        })
    }
}

fn encode_tiny(m: &Tiny, dst: &mut BytesMut) {
    encode(&vec![m.fill; usize::from(m.len)], dst);
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
    let checker = Checker::arbitrary(|| picky, encode_tiny).truncation(Truncation::Off);
    // Cut after every byte, an `Interrupted` before every 3rd read, 9 bytes of junk; then five
    // frames: [0] [1, 5] [0] [2, 7, 7] [1, 1]. Only the cut inside [2, 7, 7] breaks the decoder.
    let mut plan = Plan::every_byte();
    plan.interrupt_every = 3;
    plan.junk = 9;
    let mut input = plan.to_bytes();
    input.extend_from_slice(&[0, 0, 1, 5, 0, 0, 2, 7, 1, 1]);
    let report = fuzz_report(&checker, &input).expect("the cut inside [2, 7, 7] fails");
    // The other frames dropped, the cuts after them moved back with them, the rest of the
    // plan reduced to what the failure needs (no read errors: the report would say so).
    assert!(
        report.starts_with("decoding in one piece was right, but in chunks"),
        "{report}"
    );
    assert!(
        report.contains("\n  messages encoded (1): [Tiny { len: 2, fill: 7 }]\n"),
        "{report}"
    );
    assert!(
        report.contains("\n  cut at [1]: chunks of [1, 2] bytes\n"),
        "{report}"
    );
    assert!(!report.contains("read errors"), "{report}");
    // A cut at the end of the frame's body, moved as early as it still fails.
    let mut input = Plan::at(&[2]).to_bytes();
    input.extend_from_slice(&[2, 7]);
    let report = fuzz_report(&checker, &input).expect("the cut fails");
    assert!(report.contains("\n  cut at [1]: "), "{report}");
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
    let input = Plan::at(&[2, 4]).to_bytes();
    let report = fuzz_report(&checker(true), &input).expect("two cuts break it");
    assert!(report.contains("\n  cut at [2, 3]: "), "{report}");
    assert!(fuzz_report(&checker(false), &input).is_none());

    // A plan that cut after every byte, reported as the one cut it needs.
    let every_byte = Plan::every_byte().to_bytes();
    let report = fuzz_report(
        &Checker::with_lists(|| tiny(true), encode, Just(vec![vec![5]]))
            .truncation(Truncation::Off),
        &every_byte,
    )
    .expect("a cut breaks it");
    assert!(report.contains("\n  cut at [1]: "), "{report}");
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
    let mut plan = Plan::at(&[2]);
    plan.junk = 2;
    let failure = Checker::new(parse, encode, message())
        .truncation(Truncation::Off)
        .check(&[vec![4, 5]], &plan)
        .unwrap_err();
    assert_eq!(failure.run, Run::Chunked, "{failure}");
    assert!(!failure.to_string().contains("junk:"), "{failure}");
}
