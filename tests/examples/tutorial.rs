//! The socket tutorial's servers, caught: `examples/tutorial/` holds them as the tutorial
//! writes them (Python), and `Checker::for_server` talks to each over real loopback TCP,
//! politely and then through the segmenting proxy. The communication loop is caught answering
//! one message in two reads twice, and two messages in one read once; the `struct` fix is caught reading a header or a message that arrived
//! in two reads; the fix done right passes, and so does lenframe's echo server. Skipped, with a
//! message, where `python3` is missing.

use bytes::BytesMut;
use lenframe::testkit::{Checker, Failure, Fault, Plan, Server};

fn python() -> bool {
    let found = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if !found {
        eprintln!("python3 not found: the tutorial's servers are not checked");
    }
    found
}

fn tutorial(script: &str) -> Server {
    let path = format!("{}/examples/tutorial/{script}", env!("CARGO_MANIFEST_DIR"));
    Server::command("python3", [path.as_str(), "{port}"])
}

/// The tutorial's client: the bytes as they are.
fn raw(word: &String, dst: &mut BytesMut) {
    dst.extend_from_slice(word.as_bytes());
}

/// The tutorial's fix: `struct.pack('i', len(data))`, then the data (this machine's order).
fn struct_header(word: &String, dst: &mut BytesMut) {
    let len = i32::try_from(word.len()).expect("short words");
    dst.extend_from_slice(&len.to_ne_bytes());
    dst.extend_from_slice(word.as_bytes());
}

fn word() -> &'static str {
    "[a-z]{1,8}"
}

fn show(failure: &Failure<String>) {
    eprintln!("{failure}");
    assert!(
        matches!(failure.fault, Fault::BytesDiffer { .. }),
        "{failure}"
    );
}

#[test]
fn the_tutorials_communication_loop_is_caught_taking_a_read_for_a_message() {
    if !python() {
        return;
    }
    let checker = Checker::for_server(tutorial("loop_server.py"), raw, word());
    // The smallest case: one message that arrives in two reads gets two answers.
    let failure = checker.run().expect_err("caught");
    show(&failure);
    assert_eq!(failure.messages.len(), 1, "{failure}");
    assert_eq!(failure.cuts().len(), 1, "{failure}");
    // And the tutorial's own: two messages that arrive in one read get one answer.
    let merged = checker
        .check(&["hello".to_owned(), "jason".to_owned()], &Plan::default())
        .expect_err("merged");
    show(&merged);
    let (polite, planned) = merged.answers.as_ref().expect("both exchanges' answers");
    let planned = String::from_utf8_lossy(planned);
    assert!(planned.contains("b'hellojason'"), "{merged}");
    assert!(
        String::from_utf8_lossy(polite).contains("b'jason'"),
        "{merged}"
    );
}

#[test]
fn the_tutorials_struct_fix_is_caught_reading_a_message_cut_in_two() {
    if !python() {
        return;
    }
    let failure = Checker::for_server(tutorial("struct_server.py"), struct_header, word())
        .run()
        .expect_err("caught");
    show(&failure);
    assert_eq!(failure.messages.len(), 1, "{failure}");
    assert!(
        (1..=2).contains(&failure.cuts().len()),
        "a cut or two: {failure}"
    );
}

#[test]
fn the_tutorials_fix_done_right_passes() {
    if !python() {
        return;
    }
    Checker::for_server(tutorial("exact_server.py"), struct_header, word()).assert();
}

#[test]
fn lenframes_echo_server_passes() {
    let binary = crate::example_path("echo_server");
    let server = Server::command(binary, ["--listen", "127.0.0.1:{port}"]);
    let framed = |word: &String, dst: &mut BytesMut| {
        lenframe::Codec::new().encode(word.as_bytes(), dst).unwrap()
    };
    Checker::for_server(server, framed, word()).assert();
}
