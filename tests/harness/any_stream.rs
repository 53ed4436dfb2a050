//! The any-stream check (`Checker::any_stream`), for bytes that are not made of encoded
//! messages (a fuzzer's, a hostile peer's): a result that depends on the cuts is caught, errors
//! included (compared by what they show, or by their type), a repeated error counts once, and a
//! message or an error more in chunks is named. Each planted bug's twin passes.

use bytes::{Buf, Bytes, BytesMut};
use lenframe::testkit::{Checker, Fault, Plan, Run};

use crate::fuzz_report;

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
    let stream = b"\x03abc\x02de";
    let buggy = Checker::any_stream(|| tiny(true));
    assert!(buggy.check(stream, &Plan::default()).is_ok());
    let failure = buggy
        .check(stream, &Plan::at(&[2]))
        .expect_err("the planted bug must be caught");
    assert_eq!(failure.fault, Fault::Differs { index: 0 }, "{failure}");
    assert_eq!(failure.run, Run::Chunked);
    assert_eq!(failure.cuts(), [2]);
    assert_eq!(failure.stream, stream);
    assert_eq!(failure.one_piece.messages, ["b\"abc\"", "b\"de\""]);
    assert_eq!(failure.chunked.messages[0], "b\"a\"");
    assert!(failure
        .to_string()
        .starts_with("decoding any bytes in chunks, the decoder gave another result"));
    // The fuzz entry point: a plan (here, the cut after byte 2), then the stream; its report
    // drops the bytes the failure does not need (here, the second message).
    let mut input = Plan::at(&[2]).to_bytes();
    input.extend_from_slice(stream);
    let report = fuzz_report(&Checker::any_stream(|| tiny(true)), &input).expect("it fails");
    assert_eq!(report.lines().next(), failure.to_string().lines().next());
    let stream_line = report.lines().nth(1).unwrap();
    assert!(
        stream_line.starts_with("  stream (2 bytes): 03 61"),
        "{report}"
    );
    Checker::any_stream(|| tiny(false)).fuzz(&input);

    // 64 bytes are all shown; past 64 the stream is counted.
    let full = buggy
        .check(&b"\x03abc".repeat(16), &Plan::at(&[2]))
        .unwrap_err()
        .to_string();
    assert!(full.lines().nth(1).unwrap().ends_with(" 62 63"), "{full}");
    let long = b"\x03abc".repeat(20);
    let failure = buggy.check(&long, &Plan::at(&[2])).unwrap_err();
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
    let failure = Checker::any_stream(panics)
        .check(b"\x01a\xee", &Plan::every_byte())
        .unwrap_err();
    assert_eq!(failure.fault, Fault::Panicked { index: 1 }, "{failure}");
    assert_eq!(failure.run, Run::OnePiece);
    let stuck = || |_: &mut BytesMut| -> Result<Option<Bytes>, String> { Ok(Some(Bytes::new())) };
    let failure = Checker::any_stream(stuck)
        .check(b"ab", &Plan::default())
        .unwrap_err();
    assert!(
        matches!(failure.fault, Fault::NoProgress { .. }),
        "{failure}"
    );
    // At most one message a byte, and one more: an empty stream allows one.
    let failure = Checker::any_stream(stuck)
        .check(b"", &Plan::default())
        .unwrap_err();
    assert_eq!(failure.fault, Fault::NoProgress { index: 2 }, "{failure}");

    let twin = Checker::any_stream(|| tiny(false));
    assert_eq!(
        format!("{twin:?}"),
        "Checker { cases: None, seed: None, truncation: Off, .. }"
    );
    for plan in [Plan::default(), Plan::at(&[2]), Plan::every_byte()] {
        assert!(twin.check(stream, &plan).is_ok());
        // Bytes that are not frames: an error, the same whatever the cut.
        assert!(twin.check(b"\x01x\xff\x00", &plan).is_ok());
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
    // 0xff is over the limit; in one piece 3 bytes are buffered, byte by byte 1.
    let stream = b"\xff\x00\x00";
    let failure = Checker::any_stream(|| tells_the_read)
        .check(stream, &Plan::every_byte())
        .expect_err("errors that show differently differ");
    assert_eq!(failure.fault, Fault::Differs { index: 0 }, "{failure}");
    assert!(Checker::any_stream(|| tells_the_read)
        .check(stream, &Plan::default())
        .is_ok());

    // Compared by type: lenframe's errors are equal when their fields are.
    let codec = || {
        lenframe::Codec::builder()
            .max_frame_length(4)
            .build()
            .unwrap()
    };
    let check = Checker::any_stream(codec).errors_eq::<lenframe::DecodeError>();
    assert!(check
        .check(b"\x00\x00\x00\x09abc", &Plan::every_byte())
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
    assert!(Checker::any_stream(opaque)
        .check(stream, &Plan::every_byte())
        .is_ok());
    assert!(Checker::any_stream(opaque)
        .errors_eq::<Opaque>()
        .check(stream, &Plan::every_byte())
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
    let check = Checker::any_stream(|| skips_garbage);
    // 0xff 0xff 0xff: one error in one piece, three byte by byte, all the same error.
    for plan in [Plan::default(), Plan::every_byte(), Plan::at(&[1])] {
        assert!(check.check(b"\x01a\xff\xff\xff\x01b", &plan).is_ok());
    }
    // 0xff 0xfe: one error in one piece; byte by byte a second one, "garbage from 0xfe".
    let failure = check
        .check(b"\x01a\xff\xfe\x01b", &Plan::every_byte())
        .expect_err("garbage from 0xfe is another error");
    assert_eq!(failure.fault, Fault::Differs { index: 2 }, "{failure}");

    // Errors do not hide a difference in the messages around them.
    let failure = Checker::any_stream(|| tiny(true))
        .check(b"\x03abc\x02de\xff", &Plan::at(&[2]))
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
    let failure = Checker::any_stream(heartbeat)
        .check(b"\x01a\x01b", &Plan::every_byte())
        .expect_err("a message more in chunks");
    assert_eq!(failure.fault, Fault::Differs { index: 2 }, "{failure}");

    // The same messages, and an error more in chunks.
    let stream = b"\x01a\x01b";
    assert!(Checker::any_stream(rate_limited)
        .check(stream, &Plan::default())
        .is_ok());
    let failure = Checker::any_stream(rate_limited)
        .check(stream, &Plan::every_byte())
        .expect_err("an error more in chunks");
    assert_eq!(failure.fault, Fault::Differs { index: 2 }, "{failure}");
}
