//! The echo server's and client's shared parts: the flags (`flags.rs`: the builder's own names
//! for the framing) and the server loop. `examples/echo_server.rs` and `examples/echo_client.rs`
//! are thin `main`s over this file, and `tests/echo_loopback.rs` and `tests/echo_server.rs` run
//! the same server in-process to watch its events.
//!
//! # Model: a thread per connection, bounded
//!
//! One thread per connection, as the socket tutorial has it: the server needs nothing but `std`
//! and lenframe's default features, a thread blocked in `read` costs no CPU, and a client that
//! misbehaves (stalls, vanishes, sends garbage) can only stop its own thread. What makes it fit
//! for hostile clients is the bounds around it:
//!
//! - at most `--max-connections` (default 1024) at once: one more is closed at once, with a log
//!   line, and the server goes on;
//! - a thread the OS refuses is a refused connection (a log line), never a panic;
//! - a connection that moves no byte in either direction for `--idle-timeout` (default 60 s) is
//!   closed, and the log says how it stalled: silent, inside a header, inside a frame, or not
//!   reading its echoes (every read and write has that timeout, so a peer that does not read
//!   cannot block its thread for ever);
//! - a connection closed for a bad header or an error first gets every echo of the frames before
//!   it: the server shuts its side down and drains what the client still sends (at most
//!   [`LINGER_BYTES`] for at most [`LINGER`]), so the kernel does not answer unread bytes with a
//!   reset that drops the echoes still queued;
//! - buffers grown by a large frame go back to nothing once the connection is idle again;
//! - logging never panics: a log line that cannot be written (stderr a closed pipe) is dropped;
//! - the listen backlog is [`BACKLOG`], not std's 128: with 128, a burst of connects overflows the
//!   accept queue while the accepting thread waits for a core, and each dropped SYN costs its
//!   client the kernel's 1 s retransmission delay (measured: 10 000 sequential connects took 18 s
//!   with 128, each stall exactly 1 s).
//!
//! What one connection pins at most: its thread's stack ([`STACK_SIZE`], of which an idle
//! thread touches a few KiB), its read buffer (4 KiB idle, up to [`READ_SIZE`] while data
//! streams in), and the bytes of one frame being received and one batch of echoes being sent,
//! each at most the codec's longest wire frame (8 MiB by default, `--max-frame-length` lowers
//! it): memory follows what arrived, and a frame's worth only for as long as it takes to echo.
//! Measured (`cargo test --release --test echo_server -- --ignored --nocapture`): 10 000 idle
//! connections held while 64 clients each got 1000 frames (1 B to 4 KiB) echoed intact; the
//! server's RSS was 135 MiB with the 10 000 idle (about 14 KiB each) and 147 MiB at most while
//! the 64 echoed; the 10 000 connects took 1.6 s (57 s with std's 128-long backlog).

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use lenframe::{Codec, DecodeError};

// The flags, in a file of their own (the path is relative to this file's folder, however this
// file is included). A glob: each program that includes this file uses some of them.
#[path = "flags.rs"]
mod flags;
pub use flags::*;

/// Most bytes one `read` asks for: frames arriving together are decoded, and their echoes
/// written, in one batch.
pub const READ_SIZE: usize = 64 * 1024;

/// What an idle connection's read buffer holds: it grows (up to [`READ_SIZE`]) while reads fill
/// it, and goes back when the connection is idle.
const IDLE_READ_SIZE: usize = 4 * 1024;

/// Buffers larger than this are given back once the connection is idle.
pub const KEEP_WHEN_IDLE: usize = 64 * 1024;

/// Stack of each connection's thread: the echo loop needs a few KiB.
pub const STACK_SIZE: usize = 128 * 1024;

/// Length of the listen queue [`listen`] asks for (the kernel caps it at `net.core.somaxconn`).
pub const BACKLOG: i32 = 4096;

/// Most bytes drained from a client after its connection is closed for a bad header or an error.
pub const LINGER_BYTES: usize = 4 * 1024 * 1024;

/// Longest the server drains a client after closing its connection.
pub const LINGER: Duration = Duration::from_secs(2);

/// The server's bounds (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most connections served at once.
    pub max_connections: usize,
    /// Longest a connection may move no byte in either direction.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// What happened to a connection: the server logs one line per event.
#[derive(Debug)]
pub enum Event {
    /// A client connected.
    Connected { peer: SocketAddr },
    /// A connection was closed at once: over the connection limit, or no thread for it.
    Refused { peer: SocketAddr, reason: String },
    /// The client closed the connection between frames; every frame was echoed.
    ClosedCleanly { peer: SocketAddr, frames: u64 },
    /// The client closed the connection inside a header or a frame
    /// ([`DecodeError::TruncatedHeader`] or [`DecodeError::TruncatedFrame`], with the bytes
    /// buffered and expected). The frames before it were echoed.
    ClosedMidFrame {
        peer: SocketAddr,
        frames: u64,
        error: DecodeError,
    },
    /// The client broke the framing (a header over the limit, say): the server closed the
    /// connection after echoing the frames before it.
    Rejected {
        peer: SocketAddr,
        frames: u64,
        error: DecodeError,
    },
    /// The connection moved no byte for the idle timeout; `stalled` says where it stood.
    TimedOut {
        peer: SocketAddr,
        frames: u64,
        stalled: Stalled,
    },
    /// Reading or writing failed (the client reset the connection, say); `buffered` bytes of an
    /// unfinished frame were dropped with it.
    Failed {
        peer: SocketAddr,
        frames: u64,
        buffered: usize,
        error: io::Error,
    },
    /// An idle connection gave back buffers a large frame had grown.
    BuffersReleased { peer: SocketAddr, bytes: usize },
    /// `accept` failed (out of file descriptors, say); the server goes on.
    AcceptFailed { error: io::Error },
}

/// Where a connection stood when it timed out.
#[derive(Debug)]
pub enum Stalled {
    /// Nothing sent since its last frame.
    Silent,
    /// Part of a header or a frame sent, the rest never: what the stream would end with.
    MidFrame(DecodeError),
    /// The client does not read its echoes: the server could not write for the timeout.
    NotReading { pending: usize },
}

impl fmt::Display for Stalled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stalled::Silent => write!(f, "silent"),
            Stalled::MidFrame(DecodeError::TruncatedHeader { buffered, needed }) => write!(
                f,
                "stalled inside a header ({buffered} bytes buffered, at least {needed} needed)"
            ),
            Stalled::MidFrame(DecodeError::TruncatedFrame { buffered, expected }) => write!(
                f,
                "stalled inside a frame ({buffered} bytes buffered of {expected} expected)"
            ),
            Stalled::MidFrame(error) => write!(f, "stalled mid-frame ({error})"),
            Stalled::NotReading { pending } => {
                write!(f, "not reading its echoes ({pending} bytes unsent)")
            }
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Connected { peer } => write!(f, "{peer}: connected"),
            Event::Refused { peer, reason } => write!(f, "{peer}: refused: {reason}"),
            Event::ClosedCleanly { peer, frames } => {
                write!(f, "{peer}: closed cleanly after {frames} frames")
            }
            Event::ClosedMidFrame {
                peer,
                frames,
                error,
            } => write!(f, "{peer}: closed mid-frame after {frames} frames: {error}"),
            Event::Rejected {
                peer,
                frames,
                error,
            } => write!(f, "{peer}: rejected after {frames} frames: {error}"),
            Event::TimedOut {
                peer,
                frames,
                stalled,
            } => write!(f, "{peer}: timed out after {frames} frames, {stalled}"),
            Event::Failed {
                peer,
                frames,
                buffered,
                error,
            } => write!(
                f,
                "{peer}: failed after {frames} frames, {buffered} bytes of an unfinished frame \
                 dropped: {error}"
            ),
            Event::BuffersReleased { peer, bytes } => {
                write!(f, "{peer}: idle again, {bytes} bytes of buffers released")
            }
            Event::AcceptFailed { error } => write!(f, "accept failed: {error}"),
        }
    }
}

/// Logs an event on stderr; a line that cannot be written (stderr closed) is dropped, never a
/// panic (`eprintln!` would panic).
pub fn log_to_stderr(event: Event) {
    let _ = writeln!(io::stderr().lock(), "{event}");
}

/// Starts a connection's thread: `Err` when the OS refuses one.
pub type Spawn = dyn Fn(Box<dyn FnOnce() + Send>) -> io::Result<()> + Send + Sync;

/// A thread of [`STACK_SIZE`].
pub fn spawn_thread(work: Box<dyn FnOnce() + Send>) -> io::Result<()> {
    thread::Builder::new()
        .name("echo".to_owned())
        .stack_size(STACK_SIZE)
        .spawn(work)
        .map(drop)
}

/// A listener on `addr` (the first of its addresses that binds) with `SO_REUSEADDR` and a
/// [`BACKLOG`]-long accept queue.
pub fn listen(addr: &str) -> io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let mut last = io::Error::new(io::ErrorKind::InvalidInput, "no address to listen on");
    for addr in std::net::ToSocketAddrs::to_socket_addrs(addr)? {
        let bound = Socket::new(Domain::for_address(addr), Type::STREAM, None).and_then(|socket| {
            socket.set_reuse_address(true)?;
            socket.bind(&addr.into())?;
            socket.listen(BACKLOG)?;
            Ok(socket)
        });
        match bound {
            Ok(socket) => return Ok(socket.into()),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Serves every connection of `listener` on its own thread, within `limits`, echoing each frame
/// back framed by `codec`, and reports each connection's events to `log`. Never returns: it
/// accepts forever.
pub fn serve<L>(listener: &TcpListener, codec: &Codec, limits: Limits, log: L) -> !
where
    L: Fn(Event) + Clone + Send + 'static,
{
    serve_with(listener, codec, limits, log, &spawn_thread)
}

/// [`serve`], starting threads with `spawn` (a test injects one that fails).
pub fn serve_with<L>(
    listener: &TcpListener,
    codec: &Codec,
    limits: Limits,
    log: L,
    spawn: &Spawn,
) -> !
where
    L: Fn(Event) + Clone + Send + 'static,
{
    let active = Arc::new(AtomicUsize::new(0));
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                if active.load(Ordering::Acquire) >= limits.max_connections {
                    drop(stream);
                    log(Event::Refused {
                        peer,
                        reason: format!("over the limit of {} connections", limits.max_connections),
                    });
                    continue;
                }
                active.fetch_add(1, Ordering::AcqRel);
                let (codec, log_in_thread, active_in_thread) =
                    (codec.clone(), log.clone(), Arc::clone(&active));
                let started = spawn(Box::new(move || {
                    log_in_thread(Event::Connected { peer });
                    let ended = Connection::new(stream, peer, codec, limits).serve(&log_in_thread);
                    // The slot is free (the stream closed) before the log says so.
                    active_in_thread.fetch_sub(1, Ordering::AcqRel);
                    log_in_thread(ended);
                }));
                if let Err(e) = started {
                    // The stream went with the closure, which never ran: closed.
                    active.fetch_sub(1, Ordering::AcqRel);
                    log(Event::Refused {
                        peer,
                        reason: format!("no thread for it: {e}"),
                    });
                }
            }
            Err(error) => {
                log(Event::AcceptFailed { error });
                // Out of descriptors or memory: back off rather than spin on the same error.
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// One connection's state.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    codec: Codec,
    limits: Limits,
    rx: BytesMut,
    tx: BytesMut,
    scratch: Vec<u8>,
    frames: u64,
}

/// How the echo loop ended, before the connection is closed.
enum End {
    /// The event to log, and whether to drain the client before closing (an error or a bad
    /// header: the client may still be sending, and its unread bytes would reset the echoes).
    Log(Event, bool),
}

fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl Connection {
    fn new(stream: TcpStream, peer: SocketAddr, codec: Codec, limits: Limits) -> Connection {
        Connection {
            stream,
            peer,
            codec,
            limits,
            rx: BytesMut::new(),
            tx: BytesMut::new(),
            scratch: vec![0; IDLE_READ_SIZE],
            frames: 0,
        }
    }

    /// Echoes until the connection ends; closes it (draining the client first where that saves
    /// echoes); returns how it ended.
    fn serve(mut self, log: &dyn Fn(Event)) -> Event {
        let timeouts = self
            .stream
            .set_read_timeout(Some(self.limits.idle_timeout))
            .and_then(|()| {
                self.stream
                    .set_write_timeout(Some(self.limits.idle_timeout))
            });
        if let Err(error) = timeouts {
            return self.failed(error);
        }
        let End::Log(event, drain) = self.echo(log);
        let _ = self.stream.shutdown(Shutdown::Write);
        if drain {
            self.drain();
        }
        event
    }

    fn failed(&self, error: io::Error) -> Event {
        Event::Failed {
            peer: self.peer,
            frames: self.frames,
            buffered: self.rx.len(),
            error,
        }
    }

    /// Where the connection stands, for a timeout: what the stream would end with now.
    fn stalled(&self) -> Stalled {
        // Each read is decoded whole: what is left is part of a frame, or nothing.
        match self.codec.clone().decode_eof(&mut self.rx.clone()) {
            Err(error) => Stalled::MidFrame(error),
            Ok(_) => Stalled::Silent,
        }
    }

    /// Sans IO at work: read what arrived, decode every whole frame in it, encode each echo
    /// into one output buffer, write that buffer once. The frames of one read share one `write`,
    /// and no echo waits in a buffer while the server blocks in `read`.
    fn echo(&mut self, log: &dyn Fn(Event)) -> End {
        loop {
            let n = match self.stream.read(&mut self.scratch) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if timed_out(&e) => {
                    let stalled = self.stalled();
                    return End::Log(
                        Event::TimedOut {
                            peer: self.peer,
                            frames: self.frames,
                            stalled,
                        },
                        false,
                    );
                }
                Err(e) => return End::Log(self.failed(e), true),
            };
            self.rx.extend_from_slice(&self.scratch[..n]);
            // A read that filled the buffer: more is coming, read more at once next time.
            if n == self.scratch.len() && self.scratch.len() < READ_SIZE {
                self.scratch = vec![0; (2 * self.scratch.len()).min(READ_SIZE)];
            }
            let at_eof = n == 0;
            let end = self.decode_all(at_eof);
            // Echo what was whole before ending, whatever ended it.
            if let Err(e) = self.write_echoes() {
                if timed_out(&e) {
                    let pending = self.tx.len();
                    return End::Log(
                        Event::TimedOut {
                            peer: self.peer,
                            frames: self.frames,
                            stalled: Stalled::NotReading { pending },
                        },
                        false,
                    );
                }
                return End::Log(self.failed(e), true);
            }
            if let Some(end) = end {
                return end;
            }
            self.release_if_idle(log);
        }
    }

    /// Decodes every whole frame buffered, encoding its echo; `Some` when the connection ends.
    fn decode_all(&mut self, at_eof: bool) -> Option<End> {
        loop {
            let decoded = if at_eof {
                self.codec.decode_eof(&mut self.rx)
            } else {
                self.codec.decode(&mut self.rx)
            };
            match decoded {
                Ok(Some(frame)) => {
                    self.frames += 1;
                    // The frame came through this codec, so it is within its limit and
                    // encodes; an error here would be a bug in the codec.
                    if let Err(e) = self.codec.encode(&frame, &mut self.tx) {
                        return Some(End::Log(self.failed(e.into()), true));
                    }
                }
                Ok(None) if at_eof => {
                    return Some(End::Log(
                        Event::ClosedCleanly {
                            peer: self.peer,
                            frames: self.frames,
                        },
                        false,
                    ))
                }
                Ok(None) => return None,
                Err(error) => {
                    let (peer, frames) = (self.peer, self.frames);
                    return Some(match error {
                        DecodeError::TruncatedHeader { .. }
                        | DecodeError::TruncatedFrame { .. } => End::Log(
                            Event::ClosedMidFrame {
                                peer,
                                frames,
                                error,
                            },
                            false,
                        ),
                        _ => End::Log(
                            Event::Rejected {
                                peer,
                                frames,
                                error,
                            },
                            true,
                        ),
                    });
                }
            }
        }
    }

    /// Writes the pending echoes; on error, what was not written stays in `tx`.
    fn write_echoes(&mut self) -> io::Result<()> {
        while !self.tx.is_empty() {
            match self.stream.write(&self.tx) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    let _ = self.tx.split_to(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Between frames with nothing pending, gives back buffers a large frame grew.
    fn release_if_idle(&mut self, log: &dyn Fn(Event)) {
        if !self.rx.is_empty() || !self.tx.is_empty() {
            return;
        }
        let held = self.rx.capacity() + self.tx.capacity();
        if held <= KEEP_WHEN_IDLE {
            return;
        }
        let held = held + self.scratch.len();
        self.rx = BytesMut::new();
        self.tx = BytesMut::new();
        self.scratch = vec![0; IDLE_READ_SIZE];
        log(Event::BuffersReleased {
            peer: self.peer,
            bytes: held - IDLE_READ_SIZE,
        });
    }

    /// After the server's side is shut down: reads and drops what the client still sends, until
    /// it closes, [`LINGER_BYTES`] or [`LINGER`], so that its unread bytes do not make the
    /// kernel reset the connection and drop the echoes still queued for it.
    fn drain(&mut self) {
        let deadline = Instant::now() + LINGER;
        let mut drained = 0;
        while drained < LINGER_BYTES {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                return;
            }
            match self.stream.read(&mut self.scratch) {
                Ok(0) => return,
                Ok(n) => drained += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }
}
