//! An echo server over lenframe: every frame a client sends comes back framed the same way.
//!
//! ```text
//! cargo run --release --example echo_server -- --listen 127.0.0.1:0 \
//!     [--length-field-length N] [--little-endian | --native-endian] [--varint] [--max-frame-length N] \
//!     [--max-connections N] [--idle-timeout SECS]
//! ```
//!
//! The first line on stdout is `listening on 127.0.0.1:PORT` (port 0 picks a free one). Each
//! connection is served on its own thread, within limits (see `support/echo.rs`: a connection
//! cap, idle timeouts, a drain before closing, buffers given back); stderr gets one line per
//! connection event: connected, refused, closed cleanly, closed mid-frame (bytes buffered and
//! expected), rejected (an oversize header, with the announced length and the limit), timed out
//! (and how it stalled), failed.
//!
//! The listener has `SO_REUSEADDR` set, so a restarted server binds its port again while old
//! connections sit in `TIME_WAIT`, instead of failing with "address already in use", and a
//! 4096-long accept queue, so a burst of connects is not dropped (see `support/echo.rs`).

use std::io::Write;
use std::process::ExitCode;

#[path = "support/echo.rs"]
mod echo;

fn main() -> ExitCode {
    let options = match echo::parse_args(std::env::args().skip(1), "--listen") {
        Ok(options) => options,
        Err(echo::UsageError::Help) => {
            println!(
                "usage: echo_server --listen ADDRESS {}\n",
                echo::FRAMING_FLAGS
            );
            println!("Echoes every frame a client sends back to it, framed the same way. Prints `listening on ADDRESS` first, then logs one line per connection event on stderr.\n");
            println!("{}\n\n{}", echo::FRAMING_HELP, echo::SERVER_HELP);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("echo_server: {e}");
            eprintln!(
                "usage: echo_server --listen ADDRESS {} {}",
                echo::FRAMING_FLAGS,
                echo::SERVER_FLAGS
            );
            return ExitCode::from(2);
        }
    };
    let listener = match echo::listen(&options.addr) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("echo_server: cannot listen on {}: {e}", options.addr);
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("echo_server: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The first stdout line, flushed: a script or test waiting for it learns the port.
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "listening on {addr}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);
    echo::serve(
        &listener,
        &options.codec,
        options.limits,
        echo::log_to_stderr,
    )
}
