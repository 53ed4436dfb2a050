//! The socket tutorial's servers and clients, caught: `examples/tutorial/` holds them as the
//! tutorial writes them (Python), and `Checker::for_server` talks to each server over real
//! loopback TCP, politely and then through the segmenting proxy. The communication loop is
//! caught answering one message in two reads twice, and two messages in one read once; the
//! `struct` fix is caught reading a header or a message that arrived in two reads; the fix done
//! right passes, and so does lenframe's echo server. `Checker::for_client` serves the
//! tutorial's `struct` fix on a client's receiving side the same way: caught; its twin passes.
//! Skipped, with a message, where `python3` is missing.

use bytes::BytesMut;
use lenframe::testkit::{Checker, Client, Failure, Fault, Plan, Server};

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

fn tutorial_client(script: &str) -> Client {
    let path = format!("{}/examples/tutorial/{script}", env!("CARGO_MANIFEST_DIR"));
    Client::command("python3", [path.as_str(), "{port}"])
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
fn the_tutorials_struct_fix_in_a_client_is_caught_and_done_right_passes() {
    if !python() {
        return;
    }
    let failure = Checker::for_client(tutorial_client("struct_client.py"), struct_header, word())
        .run()
        .expect_err("caught");
    eprintln!("{failure}");
    assert!(
        matches!(failure.fault, Fault::PrintedOtherwise { .. }),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 1, "{failure}");
    assert!(
        (1..=2).contains(&failure.cuts().len()),
        "a cut or two: {failure}"
    );
    Checker::for_client(tutorial_client("exact_client.py"), struct_header, word())
        .cases(16)
        .assert();
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

/// `segment check` from the command line: the failure, its seed, and the same failure again
/// from that seed.
#[test]
fn segment_check_reproduces_a_failure_from_its_printed_seed() {
    if !python() {
        return;
    }
    let script = format!(
        "{}/examples/tutorial/struct_server.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let run = |seed: Option<&str>| {
        let mut command = crate::example("segment");
        command.args(["check", "--header", "i", "--cases", "8"]);
        if let Some(seed) = seed {
            command.args(["--seed", seed]);
        }
        let out = command
            .args(["--", "python3", &script, "{port}"])
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap())
    };
    let (code, first) = run(Some("12345"));
    assert_eq!(code, Some(1), "{first}");
    assert!(first.contains("rerun: --seed 12345"), "{first}");
    let report = |out: &str| -> String {
        out.lines()
            .filter(|l| l.starts_with("  ") || l.starts_with("talking"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let (code, again) = run(Some("12345"));
    assert_eq!(code, Some(1));
    assert_eq!(
        report(&first),
        report(&again),
        "the same failure from the same seed"
    );
    // The default seed is printed too.
    let (_, default) = run(None);
    assert!(default.contains("(seed "), "{default}");
}

#[test]
fn segment_prints_help_and_refuses_bad_arguments() {
    for sub in [
        &["--help"][..],
        &["check", "--help"],
        &["proxy", "--help"],
        &["measure", "--help"],
    ] {
        let out = crate::example("segment").args(sub).output().unwrap();
        assert!(out.status.success(), "{sub:?}");
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.starts_with("usage: segment"), "{sub:?}: {help}");
    }
    for bad in [
        &["check", "--cases", "0", "--", "true"][..],
        &["check", "--header", "x", "--", "true"],
        &["check", "--raw"],
        &["proxy", "--listen", "nowhere", "--upstream", "127.0.0.1:1"],
        &["measure", "--boundaries", "abc"],
        &["bogus"],
    ] {
        let out = crate::example("segment").args(bad).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(stderr.contains("usage: segment"), "{bad:?}: {stderr}");
    }
}

/// Real segmentation as well as the proxy's: the same check inside a network namespace whose
/// loopback carries at most 100 bytes a packet (as root, with `ip`); skipped otherwise.
#[test]
fn the_tutorial_check_holds_over_a_loopback_of_mtu_100() {
    if !python() {
        return;
    }
    let namespace = format!("lenframe-mtu-{}", std::process::id());
    let ip = |args: &[&str]| {
        std::process::Command::new("ip")
            .args(args)
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if !ip(&["netns", "add", &namespace]) {
        eprintln!("no network namespace (not root, or no `ip`): real segmentation not checked");
        return;
    }
    struct Removed(String);
    impl Drop for Removed {
        fn drop(&mut self) {
            let _ = std::process::Command::new("ip")
                .args(["netns", "delete", &self.0])
                .output();
        }
    }
    let _removed = Removed(namespace.clone());
    assert!(ip(&[
        "-n", &namespace, "link", "set", "lo", "mtu", "100", "up"
    ]));
    let binary = crate::example_path("segment");
    for (script, expected) in [("struct_server.py", 1), ("exact_server.py", 0)] {
        let path = format!("{}/examples/tutorial/{script}", env!("CARGO_MANIFEST_DIR"));
        let out = std::process::Command::new("ip")
            .args(["netns", "exec", &namespace])
            .arg(&binary)
            .args([
                "check", "--header", "i", "--cases", "16", "--", "python3", &path, "{port}",
            ])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(expected), "{script}: {stdout}");
    }
}
