//! The conversation check and its proxy, in process: `Checker::for_server` against servers on
//! threads of this test. A server that takes one read for one message (the socket tutorial's
//! loop, in Rust) is caught, shrunk to one message and one cut; its twin, which frames its
//! messages with lenframe, passes; a server that stops reading is reported as such. The proxy
//! delivers each planned chunk as one read. `Server::command` starts this test binary as the
//! server program (an ignored test serves on `PORT`), starts it again when it exits, reports one
//! that exits or never listens, and kills it when the check is dropped. (The tutorial's own
//! Python servers: `tests/examples/tutorial.rs`.)

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use lenframe::io::{FrameReader, FrameWriter};
use lenframe::testkit::{Checker, Fault, Plan, Proxy, Run, Server};

use crate::{as_program, encode_word, given_port, word};

/// Serves every connection on a thread with `serve`, forever.
fn spawn_server(serve: fn(TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            thread::spawn(move || serve(conn));
        }
    });
    addr
}

/// The tutorial's loop: each read is a message, answered with its length and its bytes.
fn one_read_one_message(mut conn: TcpStream) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = conn.read(&mut buf) {
        if n == 0 {
            return;
        }
        let mut answer = vec![u8::try_from(n).unwrap_or(255)];
        answer.extend_from_slice(&buf[..n]);
        if conn.write_all(&answer).is_err() {
            return;
        }
    }
}

/// The twin: each frame is a message, answered the same way.
fn framed(conn: TcpStream) {
    let Ok(write_half) = conn.try_clone() else {
        return;
    };
    let mut frames = FrameReader::new(conn);
    let mut out = FrameWriter::new(write_half);
    while let Ok(Some(frame)) = frames.read_frame() {
        let mut answer = vec![u8::try_from(frame.len()).unwrap_or(255)];
        answer.extend_from_slice(&frame);
        if out.write_frame(&answer).and_then(|()| out.flush()).is_err() {
            return;
        }
    }
}

/// Reads nothing, and holds the connection until the client goes.
fn never_reads(conn: TcpStream) {
    let _held = conn;
    thread::sleep(Duration::from_secs(10));
}

/// Answers each read that holds whole frames; at a read that ends inside a frame, stops
/// reading and holds the connection.
fn stops_reading_mid_frame(mut conn: TcpStream) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = conn.read(&mut buf) {
        let mut at = 0;
        while at + 4 <= n {
            let len = u32::from_be_bytes(buf[at..at + 4].try_into().unwrap()) as usize;
            at += 4 + len;
        }
        if n == 0 {
            return;
        }
        if at != n {
            break;
        }
        if conn.write_all(&buf[..n]).is_err() {
            return;
        }
    }
    let _held = conn;
    thread::sleep(Duration::from_secs(10));
}

#[test]
fn a_server_that_takes_a_read_for_a_message_is_caught() {
    let server = Server::at(spawn_server(one_read_one_message));
    let failure = Checker::for_server(server, encode_word, word())
        .run()
        .expect_err("caught");
    eprintln!("{failure}");
    assert_eq!(failure.run, Run::Written);
    assert!(
        matches!(failure.fault, Fault::BytesDiffer { .. }),
        "{failure}"
    );
    assert_eq!(failure.messages.len(), 1, "{failure}");
    assert_eq!(failure.cuts().len(), 1, "{failure}");
    let (polite, planned) = failure.answers.clone().expect("both exchanges");
    assert_ne!(polite, planned);
    let report = failure.to_string();
    assert!(
        report.starts_with(
            "talking to the server politely was right, but with the requests cut as planned \
             the server sent other bytes than in the polite run"
        ),
        "{report}"
    );
    assert!(report.contains("reads of ["), "{report}");
}

#[test]
fn a_server_that_frames_its_messages_passes() {
    let server = Server::at(spawn_server(framed));
    Checker::for_server(server, encode_word, word())
        .cases(16)
        .assert();
}

#[test]
fn a_server_that_stops_reading_is_reported() {
    let server = Server::at(spawn_server(never_reads));
    let checker = Checker::for_server(server, encode_word, word()).shrink_steps(0);
    let failure = checker
        .check(&["hello".to_owned()], &Plan::default())
        .expect_err("caught");
    assert!(
        matches!(failure.fault, Fault::StoppedReading { planned: false }),
        "{failure}"
    );
    assert_eq!(
        failure.run,
        Run::Encoding,
        "in the polite exchange: {failure}"
    );
    assert!(
        failure.to_string().starts_with(
            "talking to the server politely (a write per message, each answer awaited), the \
             server stopped reading"
        ),
        "{failure}"
    );
}

#[test]
fn a_server_that_stops_reading_mid_message_is_reported_in_the_planned_run() {
    let server = Server::at(spawn_server(stops_reading_mid_frame));
    let checker = Checker::for_server(server, encode_word, word()).shrink_steps(0);
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
fn a_server_that_is_not_there_is_an_error_not_a_pass() {
    let gone = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let failure = Checker::for_server(Server::at(gone), encode_word, word())
        .check(&["a".to_owned()], &Plan::default())
        .expect_err("nothing listens");
    assert_eq!(failure.run, Run::Encoding, "{failure}");
}

#[test]
fn the_proxy_delivers_each_planned_chunk_as_one_read_and_counts_no_stall() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = listener.local_addr().unwrap();
    let recorder = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let (mut reads, mut got, mut buf) = (Vec::new(), Vec::new(), [0u8; 4096]);
        loop {
            match conn.read(&mut buf).unwrap() {
                0 => return (reads, got),
                n => {
                    reads.push(n);
                    got.extend_from_slice(&buf[..n]);
                }
            }
        }
    });
    let mut plan = Plan::at(&[1, 2, 5, 9, 10]);
    plan.then_every = 7;
    let proxy = Proxy::start(upstream, plan, Plan::default()).unwrap();
    let sent: Vec<u8> = (0..40).collect();
    let mut client = TcpStream::connect(proxy.addr()).unwrap();
    client.write_all(&sent).unwrap();
    drop(client);
    let (reads, got) = recorder.join().unwrap();
    assert_eq!(got, sent);
    assert_eq!(reads, [1, 1, 3, 4, 1, 7, 7, 7, 7, 2]);
    assert_eq!(proxy.stalls(), 0);
}

#[test]
fn the_proxy_closes_a_direction_at_the_truncation_point() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let upstream = listener.local_addr().unwrap();
    let recorder = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut got = Vec::new();
        conn.read_to_end(&mut got).unwrap();
        got
    });
    let mut plan = Plan::default();
    plan.truncate = Some(3);
    let proxy = Proxy::start(upstream, plan, Plan::default()).unwrap();
    let mut client = TcpStream::connect(proxy.addr()).unwrap();
    client.write_all(b"hello").unwrap();
    assert_eq!(recorder.join().unwrap(), b"hel");
    drop(client);
}

/// Serves framed messages on `PORT` (and writes the port to the file named by the last
/// argument).
fn serve_on_given_port() {
    let Some(port) = given_port() else { return };
    if let Some(file) = std::env::args()
        .next_back()
        .filter(|a| a.ends_with(".port"))
    {
        std::fs::write(file, port.to_string()).unwrap();
    }
    serve_framed_until_exit(TcpListener::bind(("127.0.0.1", port)).unwrap());
}

/// Serves framed messages, a thread a connection; exits at once when a message is `exit`, as
/// a crash would.
fn serve_framed_until_exit(listener: TcpListener) {
    for conn in listener.incoming().flatten() {
        thread::spawn(move || {
            let Ok(write_half) = conn.try_clone() else {
                return;
            };
            let mut frames = FrameReader::new(conn);
            let mut out = FrameWriter::new(write_half);
            while let Ok(Some(frame)) = frames.read_frame() {
                if &frame[..] == b"exit" {
                    std::process::exit(0);
                }
                if out.write_frame(&frame).and_then(|()| out.flush()).is_err() {
                    return;
                }
            }
        });
    }
}

#[test]
#[ignore = "a server program for Server::command, started by the tests below"]
fn serve_framed_printing_its_address() {
    if !std::env::args().any(|arg| arg == "print-address") {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // Straight to the standard output, which the test harness does not capture; after the
    // harness's own first lines, as a banner would be.
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {}", listener.local_addr().unwrap()).unwrap();
    out.flush().unwrap();
    drop(out);
    serve_framed_until_exit(listener);
}

#[test]
#[ignore = "a server program for Server::command, started by the tests below"]
fn serve_framed() {
    serve_on_given_port();
}

#[test]
#[ignore = "a server program for Server::command, started by the tests below"]
fn sleep_without_listening() {
    if given_port().is_some() {
        thread::sleep(Duration::from_secs(20));
    }
}

/// This test binary, run as the ignored test `name`; `extra` are more arguments.
fn this_binary_running(name: &str, extra: &[&str]) -> Server {
    let mut args = as_program(&format!("conversation::{name}"));
    args.extend(extra.iter().map(OsString::from));
    Server::command(std::env::current_exe().unwrap(), args)
}

#[test]
fn a_server_program_given_a_port_is_checked_and_killed_when_the_check_is_dropped() {
    let port_file =
        std::env::temp_dir().join(format!("lenframe-conversation-{}.port", std::process::id()));
    let server = this_binary_running("serve_framed", &[port_file.to_str().unwrap()]);
    let shown = format!("{server:?}");
    assert!(shown.starts_with("Server::command("), "{shown}");
    assert!(shown.contains("port-{port}"), "{shown}");
    let checker = Checker::for_server(server, encode_word, word()).cases(4);
    checker.assert();
    let port: u16 = std::fs::read_to_string(&port_file)
        .unwrap()
        .parse()
        .unwrap();
    let _ = std::fs::remove_file(&port_file);
    assert!(TcpStream::connect(("127.0.0.1", port)).is_ok(), "running");
    drop(checker);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the program outlived its check"
    );
}

#[test]
fn a_server_program_that_prints_its_address_after_a_banner_is_found() {
    let server = Server::command(
        std::env::current_exe().unwrap(),
        [
            "conversation::serve_framed_printing_its_address",
            "--exact",
            "--ignored",
            "--test-threads=1",
            "print-address",
        ],
    );
    Checker::for_server(server, encode_word, word())
        .cases(4)
        .assert();
}

#[test]
fn a_server_program_that_a_case_made_exit_is_started_again_for_the_next() {
    let server = this_binary_running("serve_framed", &[]);
    let checker = Checker::for_server(server, encode_word, word()).shrink_steps(0);
    checker
        .check(&["hello".to_owned()], &Plan::at(&[2]))
        .unwrap();
    // The program exits on reading this message; whatever the check makes of it, the program
    // is gone (or going) once the check returns, and the next case needs it again. Each try
    // waits a little longer for the exit to be seen; without the restart, every try fails.
    let _ = checker.check(&["exit".to_owned()], &Plan::default());
    let again = ["hello".to_owned(), "again".to_owned()];
    let passed = (0..20).any(|attempt| {
        thread::sleep(Duration::from_millis(50 * attempt));
        checker.check(&again, &Plan::at(&[3])).is_ok()
    });
    assert!(passed, "the program was not started again");
}

#[test]
fn a_server_program_that_exits_or_never_listens_is_an_error_naming_it() {
    let exits = this_binary_running("no_such_test", &[]);
    let failure = Checker::for_server(exits, encode_word, word())
        .check(&["a".to_owned()], &Plan::default())
        .expect_err("the program exited");
    assert_eq!(failure.run, Run::Encoding, "{failure}");
    assert!(failure.to_string().contains("exited"), "{failure}");

    let unaddressed = Server::command(std::env::current_exe().unwrap(), ["no_such_test"]);
    let failure = Checker::for_server(unaddressed, encode_word, word())
        .check(&["a".to_owned()], &Plan::default())
        .expect_err("no port given, no address printed");
    assert!(
        failure
            .to_string()
            .contains("took no {port} argument, and no line of its output ends in an address"),
        "{failure}"
    );

    let silent = this_binary_running("sleep_without_listening", &[]);
    let failure = Checker::for_server(silent, encode_word, word())
        .check(&["a".to_owned()], &Plan::default())
        .expect_err("the program never listens");
    assert!(
        failure.to_string().contains("is not listening on"),
        "{failure}"
    );
}
