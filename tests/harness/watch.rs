//! Nothing the code under test does hangs the check, floods the output or takes the process
//! down unreported: a call that never returns ends the process with a report naming the case
//! (run in a child process, since that is what it does); a decoder's panics print nothing; a
//! buffer that grows on every call is stopped at the memory bound; a reader that keeps reading
//! nothing, at the end or into an empty buffer, is stopped; and corpus replay names every entry
//! it cannot run and goes on past it. Each with a planted decoder, and its twin.

use std::fs;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use lenframe::testkit::{framed, reader, Checker, Decoder, Fault, Plan, Run};
use lenframe_support::tiny::{encode, message, tiny};
use lenframe_support::{panic_text, scratch};

/// The environment variable that lets the hanging tests below run: only in the child process
/// that [`in_child`] starts.
const CHILD: &str = "LENFRAME_WATCH_CHILD";

/// Runs the ignored test `name` of this binary in a child process, its output not captured,
/// and waits at most `bound` for it: its exit status (`None`: still running, killed) and what
/// it wrote on stderr.
fn in_child(name: &str, bound: Duration) -> (Option<i32>, String, Duration) {
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--ignored",
            "--exact",
            name,
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("a child process");
    let mut stderr = child.stderr.take().expect("its stderr");
    let reading = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("its status") {
            break status.code();
        }
        if started.elapsed() > bound {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    (status, reading.join().unwrap_or_default(), elapsed)
}

/// A `tiny` decoder that loops for ever inside `decode` on a message of exactly 3 bytes.
fn loops_on_three() -> impl FnMut(&mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
    let mut decode = tiny(false);
    move |buf| {
        if buf.first() == Some(&3) && buf.len() >= 4 {
            loop {
                std::hint::spin_loop();
            }
        }
        decode(buf)
    }
}

#[test]
#[ignore = "hangs on purpose: run by a_hung_call_ends_the_process_with_a_report_naming_the_case"]
fn hangs_in_a_decoder_call() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let budget = std::env::var("LENFRAME_WATCH_BUDGET_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_millis(300), Duration::from_millis);
    let _ = Checker::new(loops_on_three, encode, message())
        .timeout(Some(budget))
        .check(&[vec![1], vec![7, 8, 9]], &Plan::at(&[2]));
    unreachable!("the watchdog ends the process");
}

#[test]
fn a_hung_call_ends_the_process_with_a_report_naming_the_case() {
    let (status, stderr, elapsed) =
        in_child("watch::hangs_in_a_decoder_call", Duration::from_secs(60));
    assert_eq!(
        status,
        Some(101),
        "the process ended as a failed test:\n{stderr}"
    );
    assert!(
        stderr.contains("lenframe::testkit: a call into the code under test has not returned"),
        "{stderr}"
    );
    assert!(stderr.contains("the budget is 300 ms"), "{stderr}");
    assert!(stderr.contains("run: in one piece"), "{stderr}");
    assert!(stderr.contains("messages: [[1], [7, 8, 9]]"), "{stderr}");
    assert!(stderr.contains("plan: cut at [2]"), "{stderr}");
    eprintln!(
        "a hung call reported {} ms after the check began",
        elapsed.as_millis()
    );
}

#[test]
#[ignore = "hangs on purpose: run by a_tokio_decoder_that_loops_under_framed_read_is_reported"]
fn hangs_under_framed_read() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    /// A tokio decoder that loops for ever once 2 bytes are buffered.
    struct Spins;
    impl tokio_util::codec::Decoder for Spins {
        type Item = Vec<u8>;
        type Error = std::io::Error;
        fn decode(&mut self, buf: &mut BytesMut) -> std::io::Result<Option<Vec<u8>>> {
            while buf.len() >= 2 {
                std::hint::spin_loop();
            }
            Ok(None)
        }
    }
    let _ = Checker::new(framed(|| Spins), encode, message())
        .timeout(Some(Duration::from_millis(300)))
        .run();
    unreachable!("the watchdog ends the process");
}

#[test]
fn a_tokio_decoder_that_loops_under_framed_read_is_reported() {
    let (status, stderr, _) = in_child("watch::hangs_under_framed_read", Duration::from_secs(60));
    assert_eq!(status, Some(101), "{stderr}");
    assert!(stderr.contains("has not returned after"), "{stderr}");
    // A property case: the fuzz input that replays it is in the report.
    assert!(stderr.contains("run: in one piece"), "{stderr}");
}

#[test]
#[ignore = "prints what panics print: run by a_decoders_panics_print_nothing"]
fn panics_in_every_case() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let panics = || {
        |buf: &mut BytesMut| -> Result<Option<Vec<u8>>, ()> {
            assert!(buf.len() < 2, "a planted panic");
            tiny(false)(buf)
        }
    };
    let failure = Checker::new(panics, encode, message())
        .run()
        .expect_err("the panic is a failure");
    assert!(matches!(failure.fault, Fault::Panicked { .. }));
    eprintln!("checked; now a panic outside the checker:");
    let _ = std::panic::catch_unwind(|| panic!("outside the checker"));
}

#[test]
fn a_decoders_panics_print_nothing_and_others_still_do() {
    let (status, stderr, _) = in_child("watch::panics_in_every_case", Duration::from_secs(60));
    assert_eq!(status, Some(0), "{stderr}");
    assert!(!stderr.contains("a planted panic"), "{stderr}");
    // The panic hook defers to the one before it everywhere else.
    assert!(stderr.contains("outside the checker"), "{stderr}");
    assert_eq!(stderr.matches("panicked at").count(), 1, "{stderr}");
}

/// A decoder that doubles its buffer and adds `by` bytes on every call (the bug, with `by`
/// 1 MiB: a buffer that grows without bound, which would take the process down within a few
/// dozen calls), or reserves nothing (its twin, `by` 0).
fn grows(by: usize) -> impl FnMut(&mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
    let mut decode = tiny(false);
    move |buf| {
        if by > 0 {
            buf.reserve(buf.capacity() + by);
        }
        decode(buf)
    }
}

#[test]
fn a_buffer_that_grows_on_every_call_is_stopped_at_the_bound() {
    let bounded = |by| {
        Checker::new(move || grows(by), encode, message())
            .capacity_bound(|buffered| 2 * buffered + 64 * 1024)
    };
    let failure = bounded(1 << 20)
        .run()
        .expect_err("the planted bug must be caught");
    assert!(matches!(failure.fault, Fault::Memory { .. }), "{failure}");
    assert!(
        failure
            .to_string()
            .contains("then a buffer over the bound, where the check stopped"),
        "{failure}"
    );
    bounded(0).assert();
}

#[test]
fn a_reader_that_retries_empty_reads_is_stopped() {
    // Reads into a buffer that fills up and is never emptied: once full, every read asks for
    // nothing and gets nothing, and the decoder reads again.
    let stuck = reader(|mut stream| {
        let mut buf = [0u8; 2];
        let mut filled = 0;
        move || -> std::io::Result<Option<Vec<u8>>> {
            loop {
                let n = std::io::Read::read(&mut stream, &mut buf[filled..])?;
                filled += n;
                if n == 0 && filled < buf.len() {
                    return Ok(None);
                }
            }
        }
    });
    let failure = Checker::new(stuck, encode, message())
        .check(&[vec![7, 8, 9]], &Plan::default())
        .expect_err("the planted bug must be caught");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::OnePiece, Fault::NoProgress { index: 0 }),
        "{failure}"
    );
    assert!(
        failure
            .to_string()
            .contains("kept reading without getting bytes"),
        "{failure}"
    );
    // Its twin takes a whole frame out of the buffer before reading on.
    let twin = reader(|stream| {
        let mut frames = lenframe::io::FrameReader::with_codec(
            stream,
            lenframe::Codec::builder()
                .length_field_length(1)
                .build()
                .unwrap(),
        );
        move || frames.read_frame().map(|f| f.map(|f| f.to_vec()))
    });
    Checker::new(twin, encode, message()).assert();
}

// ---- replay ------------------------------------------------------------------------------

fn planted() -> Checker<Vec<u8>> {
    lenframe_support::tiny::checker(true)
}

#[test]
fn replay_names_every_entry_it_cannot_run_and_goes_on_past_it() {
    let dir = scratch("replay-entries");
    // A passing input first and last in name order, the entries it cannot run between them.
    fs::write(dir.join("a-passing"), Plan::default().to_bytes()).unwrap();
    std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("b-dangling")).unwrap();
    std::os::unix::fs::symlink(dir.join("c-loop"), dir.join("c-loop")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.join("d-endless")).unwrap();
    let fifo = Command::new("mkfifo").arg(dir.join("e-fifo")).status();
    let mut huge = Plan::default().to_bytes();
    huge.resize((1 << 20) + 1, 0);
    fs::write(dir.join("f-huge"), &huge).unwrap();
    let failing = planted()
        .record_failures(scratch("replay-entries-source"))
        .run()
        .unwrap_err()
        .input
        .unwrap();
    fs::write(dir.join("z-failing"), &failing).unwrap();

    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| planted().replay(&dir)))
        .expect_err("replay must fail, naming what it could not run");
    let text = panic_text(payload.as_ref());
    assert!(
        text.starts_with(&format!("1 of 2 inputs in {} fail, and ", dir.display())),
        "{text}"
    );
    for (entry, why) in [
        (
            "b-dangling",
            "skipped, unreadable: No such file or directory",
        ),
        ("c-loop", "skipped, unreadable"),
        ("d-endless", "skipped, not a regular file"),
        ("f-huge", "skipped, over the 1048576-byte limit on an input"),
    ] {
        assert!(
            text.contains(&format!("{entry}: {why}")),
            "{entry}:\n{text}"
        );
    }
    if matches!(fifo, Ok(status) if status.success()) {
        assert!(
            text.contains("e-fifo: skipped, not a regular file"),
            "{text}"
        );
    }
    // The input after them all was run, and failed.
    assert!(text.contains("z-failing: "), "{text}");
    assert!(!text.contains("a-passing"), "{text}");

    // Without them, the passing input passes.
    let clean = scratch("replay-entries-clean");
    fs::copy(dir.join("a-passing"), clean.join("a-passing")).unwrap();
    assert_eq!(planted().replay(&clean), 1);
    let _ = fs::remove_dir_all(&dir);
    let _ = fs::remove_dir_all(&clean);
}

#[test]
fn a_panic_raised_by_the_check_itself_is_a_failure_of_that_input() {
    // A mapping whose panic is the decoder's: reported in the input's failure, not as a crash
    // of the replay.
    let dir = scratch("replay-panic");
    let mut input = Plan::default().to_bytes();
    input.extend_from_slice(&[1, 1, 1, 1]);
    fs::write(dir.join("input"), &input).unwrap();
    let decoder = Decoder::from(|| tiny(false)).map(|message: Vec<u8>| -> Vec<u8> {
        assert!(message.is_empty(), "a mapping that panics");
        message
    });
    let one = proptest::strategy::Just(vec![vec![5u8]]);
    let checker = Checker::with_lists(decoder, encode, one.clone());
    let payload = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| checker.replay(&dir)))
        .expect_err("it fails");
    let text = panic_text(payload.as_ref());
    assert!(
        text.contains("then a panic: a mapping that panics"),
        "{text}"
    );
    // Its twin, whose mapping does not panic, passes.
    let twin = Decoder::from(|| tiny(false)).map(|message: Vec<u8>| message);
    assert_eq!(Checker::with_lists(twin, encode, one).replay(&dir), 1);
    let _ = fs::remove_dir_all(&dir);
}
