//! The client check, in process: `Checker::for_client` starts this test binary as the client
//! program (an ignored test connects to `PORT`) and plays its server. A client that takes one
//! read for one message (the socket tutorial's loop, in Rust) is caught, shrunk to one cut; so
//! is one that reads a 4-byte header with one read (the tutorial's `recv(4)`); their twin,
//! which frames its messages with lenframe, passes. A client that stops reading is reported as
//! such (in the polite exchange, and mid-message in the planned one), and one that exits or
//! never connects is an error naming it, not a pass.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use lenframe::io::FrameReader;
use lenframe::testkit::{Checker, Client, Fault, Plan, Run};

use crate::{as_program, encode_word, given_port, word};

/// A connection to the server, when this binary runs as a client (`PORT`, set by
/// `Client::command`); `None` when the ignored tests below run as tests.
fn server() -> Option<TcpStream> {
    let port = given_port()?;
    Some(TcpStream::connect(("127.0.0.1", port)).unwrap())
}

/// Prints each message on a line of its own (straight to the standard output, which the test
/// harness does not capture).
fn print(message: &[u8]) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", String::from_utf8_lossy(message)).unwrap();
}

/// Ends the client at once, before the test harness prints its result line (which holds a
/// time, different on every run).
fn exit() -> ! {
    std::io::stdout().flush().unwrap();
    std::process::exit(0)
}

#[test]
#[ignore = "a client program for Client::command, started by the tests below"]
fn a_read_is_a_message() {
    let Some(mut conn) = server() else { return };
    let mut buf = [0u8; 1024];
    while let Ok(n @ 1..) = conn.read(&mut buf) {
        // The message is what follows the header in this read.
        print(buf[..n].get(4..).unwrap_or_default());
    }
    exit();
}

#[test]
#[ignore = "a client program for Client::command, started by the tests below"]
fn one_read_for_the_header() {
    let Some(mut conn) = server() else { return };
    loop {
        let mut header = [0u8; 4];
        match conn.read(&mut header) {
            Ok(0) | Err(_) => exit(),
            Ok(_) => {}
        }
        let mut body = vec![0u8; u32::from_be_bytes(header) as usize];
        if conn.read_exact(&mut body).is_err() {
            // As Python's `recv(n)` with the length misread: an exception, exit status 1.
            std::process::exit(1);
        }
        print(&body);
    }
}

#[test]
#[ignore = "a client program for Client::command, started by the tests below"]
fn framed() {
    let Some(conn) = server() else { return };
    let mut frames = FrameReader::new(conn);
    while let Ok(Some(frame)) = frames.read_frame() {
        print(&frame);
    }
    exit();
}

#[test]
#[ignore = "a client program for Client::command, started by the tests below"]
fn stops_reading_mid_frame() {
    let Some(mut conn) = server() else { return };
    let mut buf = [0u8; 1024];
    while let Ok(n @ 1..) = conn.read(&mut buf) {
        let mut at = 0;
        while at + 4 <= n {
            at += 4 + u32::from_be_bytes(buf[at..at + 4].try_into().unwrap()) as usize;
        }
        if at != n {
            std::thread::sleep(Duration::from_secs(20));
        }
        print(&buf[4..n]);
    }
    exit();
}

#[test]
#[ignore = "a client program for Client::command, started by the tests below"]
fn never_connects() {
    if given_port().is_some() {
        std::thread::sleep(Duration::from_secs(20));
    }
}

#[test]
#[ignore = "a client program for Client::command, started by the tests below"]
fn never_reads() {
    let Some(_conn) = server() else { return };
    std::thread::sleep(Duration::from_secs(20));
}

/// This test binary, run as the ignored test `name`, as the client.
fn this_binary_as(name: &str) -> Client {
    Client::command(
        std::env::current_exe().unwrap(),
        as_program(&format!("client::{name}")),
    )
}

#[test]
fn a_client_that_takes_a_read_for_a_message_is_caught() {
    let client = this_binary_as("a_read_is_a_message");
    let shown = format!("{client:?}");
    assert!(shown.starts_with("Client::command("), "{shown}");
    assert!(shown.contains("client::a_read_is_a_message"), "{shown}");
    let failure = Checker::for_client(client, encode_word, word())
        .run()
        .expect_err("caught");
    eprintln!("{failure}");
    assert_eq!(failure.run, Run::Written, "{failure}");
    assert!(
        matches!(failure.fault, Fault::PrintedOtherwise { .. }),
        "{failure}"
    );
    assert_eq!(failure.cuts().len(), 1, "{failure}");
    let report = failure.to_string();
    assert!(
        report.starts_with(
            "serving the client politely was right, but with the messages cut as planned the \
             client printed other output than in the polite exchange"
        ),
        "{report}"
    );
    assert!(report.contains("reads of ["), "{report}");
    assert!(report.contains("bytes at the client"), "{report}");
}

#[test]
fn a_client_that_reads_its_header_with_one_read_is_caught_by_a_cut_in_it() {
    let client = this_binary_as("one_read_for_the_header");
    let failure = Checker::for_client(client, encode_word, word())
        .run()
        .expect_err("caught");
    assert_eq!(failure.messages.len(), 1, "{failure}");
    let cuts = failure.cuts();
    assert!(
        matches!(cuts[..], [1..=3]),
        "a cut inside the header: {failure}"
    );
    // How the client ended shows only when it was not a success.
    let (polite, planned) = failure.answers.clone().expect("both exchanges");
    let (polite, planned) = (
        String::from_utf8_lossy(&polite),
        String::from_utf8_lossy(&planned),
    );
    assert!(!polite.contains("[the client"), "{failure}");
    assert!(
        planned.ends_with("\n[the client ended with exit status: 1]"),
        "{failure}"
    );
}

#[test]
fn a_client_that_stops_reading_mid_message_is_reported_in_the_planned_run() {
    let checker = Checker::for_client(
        this_binary_as("stops_reading_mid_frame"),
        encode_word,
        word(),
    )
    .shrink_steps(0);
    let failure = checker
        .check(&["hello".to_owned()], &Plan::at(&[2]))
        .expect_err("caught");
    assert!(
        matches!(failure.fault, Fault::StoppedReading { planned: true }),
        "{failure}"
    );
    assert_eq!(failure.run, Run::Written, "{failure}");
}

#[test]
fn a_client_that_frames_its_messages_passes() {
    Checker::for_client(this_binary_as("framed"), encode_word, word())
        .cases(8)
        .assert();
}

#[test]
fn a_client_that_stops_reading_is_reported() {
    let checker =
        Checker::for_client(this_binary_as("never_reads"), encode_word, word()).shrink_steps(0);
    let failure = checker
        .check(&["hello".to_owned()], &Plan::default())
        .expect_err("caught");
    assert!(
        matches!(failure.fault, Fault::StoppedReading { planned: false }),
        "{failure}"
    );
    assert!(
        failure.to_string().starts_with(
            "serving the client politely (a write per message, each read before the next), \
             the client stopped reading"
        ),
        "{failure}"
    );
    // It never ends on its own: killed, and its output says so.
    let (polite, _) = failure.answers.clone().expect("the polite exchange");
    assert!(
        String::from_utf8_lossy(&polite).ends_with("[the client had not exited: killed]"),
        "{failure}"
    );
}

#[test]
fn a_client_that_never_connects_is_an_error_naming_it() {
    let failure = Checker::for_client(this_binary_as("no_such_test"), encode_word, word())
        .check(&["a".to_owned()], &Plan::default())
        .expect_err("it exits at once");
    assert_eq!(failure.run, Run::Encoding, "{failure}");
    assert!(
        failure.to_string().contains("exited before it connected"),
        "{failure}"
    );
    let failure = Checker::for_client(this_binary_as("never_connects"), encode_word, word())
        .check(&["a".to_owned()], &Plan::default())
        .expect_err("it runs and never connects");
    assert!(
        failure.to_string().contains("has not connected after 3s"),
        "{failure}"
    );
}
