//! An echo server over lenframe: every frame a client sends comes back framed the same way.
//!
//! ```text
//! cargo run --release --example echo_server -- --listen 127.0.0.1:0 \
//!     [--length-field-length N] [--little-endian | --native-endian] [--varint] [--max-frame-length N] \
//!     [--max-connections N] [--idle-timeout SECS] [--header-timeout SECS] [--frame-timeout SECS] \
//!     [--min-rate BYTES_PER_SEC] [--max-buffered BYTES]
//! ```
//!
//! The first line on stdout is `listening on 127.0.0.1:PORT` (port 0 picks a free one). Each
//! connection is served on its own thread, within limits (see `support/echo.rs`: a connection
//! cap, header, frame and idle timeouts, a byte budget for large frames, a drain before closing,
//! buffers given back); stderr gets one line per connection event: connected, refused, closed
//! cleanly, closed mid-frame (bytes buffered and expected), rejected (an oversize header, with
//! the announced length and the limit), refused a frame over the budget, timed out (and how it
//! stalled), failed; and at most one line a second for an `accept` that keeps failing. The
//! figures of each limit: `examples/README.md`.
//!
//! The listener has `SO_REUSEADDR` set, so a restarted server binds its port again while old
//! connections sit in `TIME_WAIT`, instead of failing with "address already in use", and a
//! 4096-long accept queue, so a burst of connects is not dropped (see `support/echo.rs`).
//!
//! On Linux, the server runs itself again once, at start, with glibc's mmap threshold fixed
//! (`GLIBC_TUNABLES`), so that memory a large frame took goes back to the OS once the frame is
//! echoed (`support/echo.rs` says why).

use std::io::Write;
use std::process::ExitCode;

#[path = "support/echo.rs"]
mod echo;

/// glibc's malloc with its mmap threshold fixed at 128 KiB: buffers of that size or more are
/// mapped when made and unmapped when dropped (without the setting, glibc raises the threshold
/// each time it frees a large mapped block, and keeps later buffers in its arenas).
const TUNABLES: &str = "glibc.malloc.mmap_threshold=131072";

/// Marks the process that runs with [`TUNABLES`]: it does not run itself again.
const TUNED: &str = "LENFRAME_ECHO_SERVER_TUNED";

/// Runs this program again with [`TUNABLES`] set, once; returns only when that fails (the
/// server then runs as it is, with a line saying so).
#[cfg(target_os = "linux")]
fn run_with_fixed_mmap_threshold() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os(TUNED).is_some() {
        return;
    }
    let tunables = match std::env::var("GLIBC_TUNABLES") {
        Ok(set) if !set.is_empty() => format!("{set}:{TUNABLES}"),
        _ => TUNABLES.to_owned(),
    };
    let error = match std::env::current_exe() {
        Ok(exe) => std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("GLIBC_TUNABLES", tunables)
            .env(TUNED, "1")
            .exec(),
        Err(error) => error,
    };
    let _ = writeln!(
        std::io::stderr(),
        "echo_server: running without a fixed mmap threshold ({error}): memory may stay with \
         the process after large frames"
    );
}

#[cfg(not(target_os = "linux"))]
fn run_with_fixed_mmap_threshold() {}

fn main() -> ExitCode {
    run_with_fixed_mmap_threshold();
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
