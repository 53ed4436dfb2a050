//! Every way to run the checker under the property engine reports a planted bug and passes its
//! correct twin: `assert` and `run`; one given case (`check`); a reported failure run again from
//! its messages and plan; the case count and shrink budget; an encoder that refuses everything;
//! and the report, to the letter. (The fuzz engine: `fuzz_engine.rs`; messages from
//! `Arbitrary`, fallible encoders, mapped messages: `messages.rs`.)

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use bytes::BytesMut;
use lenframe::testkit::{Checker, Encoder, Fault, Plan, Run, Truncation};
use proptest::collection::vec;
use proptest::prelude::*;

use lenframe_support::panic_text;
use lenframe_support::tiny::{checker, cursor_tiny, encode, message, tiny, AtEof, REST_AT_EOF};

use crate::fuzz_report;

#[test]
fn assert_panics_with_the_report_of_run_and_passes_the_twin() {
    checker(false).assert();
    let payload = panic::catch_unwind(AssertUnwindSafe(|| checker(true).assert()))
        .expect_err("assert must panic on the planted bug");
    let failure = checker(true).run().expect_err("run must report it too");
    assert_eq!(panic_text(payload.as_ref()), failure.to_string());
}

#[test]
fn check_fails_on_the_one_cut_that_breaks_the_decoder() {
    // Truncation off: only the cut can break this decoder.
    let buggy = checker(true).truncation(Truncation::Off);
    let message = vec![7, 8, 9];
    assert!(buggy
        .check(std::slice::from_ref(&message), &Plan::default())
        .is_ok());
    let failure = buggy
        .check(std::slice::from_ref(&message), &Plan::at(&[1]))
        .expect_err("a cut between header and body breaks it");
    assert_eq!(failure.run, Run::Chunked, "{failure}");
    assert_eq!(failure.cuts(), [1]);
    assert_eq!(failure.messages, std::slice::from_ref(&message));
    assert_eq!(failure.stream, [3, 7, 8, 9]);
    assert_eq!(failure.case, 0);
    assert!(checker(false).check(&[message], &Plan::at(&[1])).is_ok());
}

#[test]
fn check_fails_on_a_plan_that_breaks_the_decoder() {
    let buggy = checker(true).truncation(Truncation::Off);
    let messages = [vec![1, 2], vec![3]];
    assert!(buggy.check(&messages, &Plan::default()).is_ok());
    let failure = buggy
        .check(&messages, &Plan::every_byte())
        .expect_err("byte by byte breaks it");
    assert_eq!(failure.run, Run::Chunked, "{failure}");
    assert!(checker(false).check(&messages, &Plan::every_byte()).is_ok());
}

/// [`REST_AT_EOF`], whose last message at the end of the stream comes in two (the bug).
const REST_IN_TWO: AtEof = AtEof(|rest| Some(rest.split_to(1).to_vec()));

#[test]
fn a_stream_cut_short_that_yields_two_messages_for_the_cut_one_names_the_extra() {
    // The fuzz engine visits the plan's one truncation point: byte 2 of 02 05 06.
    let mut plan = Plan::default();
    plan.truncate = Some(2);
    let checker = Checker::with_lists(|| REST_IN_TWO, encode, Just(vec![vec![5, 6]]));
    let report = fuzz_report(&checker, &plan.to_bytes()).expect("the cut short run fails");
    assert!(
        report.starts_with(
            "with the stream cut short at byte 2, the decoder returned more messages than were \
             encoded, from item 1 on"
        ),
        "{report}"
    );
    // `check` visits many points besides the plan's, the first that fails reported: byte 1.
    let failure = checker.check(&[vec![5, 6]], &plan).unwrap_err();
    assert_eq!(failure.run, Run::Truncated { at: 1 }, "{failure}");
    assert_eq!(
        failure.fault,
        Fault::TruncatedMessageReturned { index: 0 },
        "{failure}"
    );
}

#[test]
fn a_reported_failure_fails_again_from_its_messages_and_plan() {
    let cut = checker(true).run().unwrap_err();
    let again = checker(true).check(&cut.messages, &cut.plan).unwrap_err();
    assert_eq!((again.run, again.fault), (cut.run, cut.fault));

    let short_checker = Checker::new(|| REST_AT_EOF, encode, message());
    let short = short_checker.run().unwrap_err();
    assert!(matches!(short.run, Run::Truncated { .. }), "{short}");
    let again = short_checker
        .check(&short.messages, &short.plan)
        .unwrap_err();
    assert_eq!((again.run, again.fault), (short.run, short.fault));

    let parse = |from_start| {
        lenframe::testkit::cursor_parser(move || cursor_tiny(from_start))
            .incomplete_when(lenframe::testkit::unexpected_eof)
    };
    let junk = Checker::new(parse(true), encode, message())
        .run()
        .unwrap_err();
    assert_eq!(junk.run, Run::Junk, "{junk}");
    assert_eq!(junk.plan.junk, 1, "{junk}");
    let again = Checker::new(parse(true), encode, message())
        .check(&junk.messages, &junk.plan)
        .unwrap_err();
    assert_eq!((again.run, again.fault), (junk.run, junk.fault));
    Checker::new(parse(false), encode, message()).assert();
}

#[test]
fn the_property_engine_runs_the_cases_it_is_told_and_shrinks_within_its_budget() {
    let streams = Rc::new(RefCell::new(0));
    let counted = Rc::clone(&streams);
    let encode_counted = Encoder::stateful(move || {
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
    let refuse = Encoder::fallible(|_: &Vec<u8>, _: &mut BytesMut| Err("no"));
    let payload = panic::catch_unwind(AssertUnwindSafe(|| {
        Checker::with_lists(|| tiny(false), refuse, vec(message(), 1..4))
            .run()
            .is_ok()
    }))
    .expect_err("a check that can encode no case must not pass");
    assert!(
        panic_text(payload.as_ref()).contains("the encoder refused"),
        "{}",
        panic_text(payload.as_ref())
    );
}

#[test]
fn a_failure_report_reads_to_the_letter() {
    let cut = checker(true)
        .truncation(Truncation::Off)
        .check(&[vec![7, 8, 9], vec![1]], &Plan::at(&[1]))
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
    assert_eq!(cut.plan.chunk_lengths(cut.stream.len()), [1, 5]);

    // Past 64 bytes the stream is counted, past 120 characters a message is.
    let long = checker(true)
        .truncation(Truncation::Off)
        .check(&[vec![0xAB; 7], vec![0xCD; 100]], &Plan::at(&[1]))
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
        .check(&[vec![0xAB; 7], vec![0xCD; 55]], &Plan::at(&[1]))
        .unwrap_err()
        .to_string();
    let stream_line = report.lines().nth(2).unwrap();
    assert!(
        stream_line.starts_with("  stream (64 bytes): 07 ab"),
        "{report}"
    );
    assert!(stream_line.ends_with(" cd cd"), "{report}");

    let short = Checker::new(|| REST_AT_EOF, encode, message())
        .check(&[vec![5, 6]], &Plan::default())
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
        .check(&[vec![4]], &{
            let mut plan = Plan::default();
            plan.junk = 2;
            plan
        })
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
