//! The harness (`lenframe::testkit`) has teeth: every oracle, every decoder shape and every way
//! to run the check is proven by a planted bug it catches, next to the bug's correct twin,
//! which passes; the reports are pinned to the letter. One module per claim:
//!
//! - `planted_bugs`: ten bugs people really write, each caught at default settings, shrunk;
//! - `oracles`: memory, truncation, recovery, and a failure that needs exactly one cut;
//! - `liveness`: stalls under `FramedRead` and in readers, and a reader that spins;
//! - `slice_parsers`: junk, a broken contract, lookahead, errors that are not waits;
//! - `any_stream`: the check for bytes that are not encoded messages;
//! - `decoder_shapes`: a realistic decoder of each shape passes with a line of glue;
//! - `new_shapes`: push parsers, rest parsers, parsers that skip bytes, optional trailers,
//!   `incomplete_when` on every shape;
//! - `messages`: `Arbitrary` messages, refusing and panicking encoders, mapped and
//!   `Debug`-compared messages, encoders with their own random source;
//! - `entry_points`: every verb of the property engine, and the report;
//! - `fuzz_engine`: the fuzz engine and corpus replay;
//! - `watch`: hung calls, runaway buffers and noisy panics;
//! - `cancellation`: async reads dropped mid-message, as a losing `select!` branch drops them;
//! - `write_side`: short writes, `Interrupted` and `WouldBlock` under a writer;
//! - `handoff`: a protocol that switches decoders mid-stream;
//! - `conversation`: whole servers over loopback TCP, through the segmenting proxy;
//! - `client`: whole clients, served over loopback TCP through the proxy.

mod any_stream;
mod cancellation;
mod client;
mod conversation;
mod decoder_shapes;
mod entry_points;
mod fuzz_engine;
mod handoff;
mod liveness;
mod messages;
mod new_shapes;
mod oracles;
mod planted_bugs;
mod slice_parsers;
mod watch;
mod write_side;

use std::ffi::OsString;
use std::panic::{self, AssertUnwindSafe};

use bytes::BytesMut;
use lenframe::testkit::Checker;
use lenframe::Codec;

/// The arguments that run this test binary as a program for `Server::command` or
/// `Client::command`: only the ignored test `test` runs, and `port-{port}`, a filter that
/// matches no test, carries the port and marks the run (see [`given_port`]).
fn as_program(test: &str) -> Vec<OsString> {
    [
        test,
        "--exact",
        "--ignored",
        "--test-threads=1",
        "--quiet",
        "port-{port}",
    ]
    .map(OsString::from)
    .to_vec()
}

/// The port this binary was given when it runs as a program started with [`as_program`]
/// (`PORT`, and the argument `port-PORT`); `None` when its ignored tests run as tests.
fn given_port() -> Option<u16> {
    let port = std::env::var("PORT").ok()?;
    let marked = std::env::args().any(|arg| arg == format!("port-{port}"));
    port.parse().ok().filter(|_| marked)
}

/// Words behind lenframe's default header: the messages of the server and client checks.
fn encode_word(word: &String, dst: &mut BytesMut) {
    Codec::new().encode(word.as_bytes(), dst).unwrap();
}

fn word() -> &'static str {
    "[a-z]{1,6}"
}

/// The report `checker.fuzz(input)` panics with, or `None` when the input passes.
fn fuzz_report<M: std::fmt::Debug + 'static>(checker: &Checker<M>, input: &[u8]) -> Option<String> {
    panic::catch_unwind(AssertUnwindSafe(|| checker.fuzz(input)))
        .err()
        .map(|payload| lenframe_support::panic_text(payload.as_ref()))
}
