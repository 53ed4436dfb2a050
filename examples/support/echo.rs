//! The echo server's and client's shared parts: the flags (`flags.rs`: the builder's own names
//! for the framing), the events it logs (`events.rs`), the byte budget of its large frames
//! (`budget.rs`), and the server loop (here). `examples/echo_server.rs` and
//! `examples/echo_client.rs` are thin `main`s over these files, and `tests/sockets` runs the same
//! server in-process to watch its events.
//!
//! # Model: a thread per connection, bounded in time and memory
//!
//! One thread per connection, as the socket tutorial has it: the server needs nothing but `std`
//! and lenframe's default features, a thread blocked in `read` costs no CPU, and a client that
//! misbehaves (stalls, vanishes, sends garbage) can only stop its own thread. What makes it fit
//! for hostile clients is the bounds around it:
//!
//! - at most `--max-connections` (default 1024) at once: one more is closed at once, with a log
//!   line, and the server goes on; a thread the OS refuses is a refused connection;
//! - time, as Apache's `mod_reqtimeout` bounds a request: a header must be whole within
//!   `--header-timeout` (default 20 s) of its first byte, and a frame within `--frame-timeout`
//!   (default 20 s) of its first byte, one more second for every `--min-rate` bytes (default
//!   500) that arrive; echoes must be read at the same rate; and a connection that moves no
//!   byte at all for `--idle-timeout` (default 60 s) is closed. So a client that sends a byte
//!   every second cannot hold a connection slot for ever. The log says how a connection
//!   stalled: silent, inside a header, too slow for its frame, not reading its echoes. (Echo
//!   bytes the kernel's socket buffers take count as read: a few MiB of them extend an echo's
//!   deadline at the minimum rate by hours; the idle timeout still closes a client that reads
//!   nothing at all);
//! - memory: a frame over [`LARGE_FRAME`] bytes holds twice its length (its bytes, then its
//!   echo) of a budget shared by every connection, `--max-buffered` (default 256 MiB). A frame
//!   that does not fit waits for room, for at most the header timeout, and is refused with a
//!   log line after that: the frames before it are echoed, then the connection is closed. So
//!   clients that send large frames and read their echoes slowly hold at most the budget;
//! - memory given back: once a connection is idle, buffers a large frame grew are dropped. For
//!   the process to return them to the OS, the allocator must not keep them: glibc's malloc
//!   raises its mmap threshold each time it frees a large mapped block (up to 32 MiB), after
//!   which smaller large buffers come from its per-thread arenas and stay there. The server
//!   fixes the threshold at 128 KiB: `examples/echo_server.rs` runs itself again once with
//!   `GLIBC_TUNABLES` set, so that every large buffer is mapped when made and unmapped when
//!   dropped. Other allocators ignore the variable;
//! - a connection closed for a bad header or an error first gets every echo of the frames before
//!   it: the server shuts its side down and drains what the client still sends (at most
//!   [`LINGER_BYTES`] for at most [`LINGER`]), so the kernel does not answer unread bytes with a
//!   reset that drops the echoes still queued;
//! - logging never panics (a line that cannot be written is dropped), and an `accept` that keeps
//!   failing (no file descriptor left) is logged at most once a second, with a count;
//! - the listen backlog is [`BACKLOG`], not std's 128: with 128, a burst of connects overflows the
//!   accept queue while the accepting thread waits for a core, and each dropped SYN costs its
//!   client the kernel's 1 s retransmission delay.
//!
//! `benches/scripts/echo_limits.py` measures each bound against the binary; the figures are in
//! `examples/README.md`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use lenframe::{Codec, DecodeError};

// The flags, the events and the budget, in files of their own (paths relative to this file's
// folder, however this file is included). Globs: each program that includes this file uses
// some of them.
#[path = "budget.rs"]
mod budget;
#[path = "events.rs"]
mod events;
#[path = "flags.rs"]
mod flags;
pub use budget::*;
pub use events::*;
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

/// How often a frame waiting for room in the budget looks again.
const BUDGET_POLL: Duration = Duration::from_millis(20);

/// The server's bounds (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most connections served at once.
    pub max_connections: usize,
    /// Longest a connection may move no byte in either direction.
    pub idle_timeout: Duration,
    /// Longest a header may take to arrive whole, from its first byte.
    pub header_timeout: Duration,
    /// Longest a frame may take to arrive whole, from its first byte, before the minimum rate
    /// adds to it; and its echo to be read.
    pub frame_timeout: Duration,
    /// Bytes a second that extend the frame timeout by one second each.
    pub min_rate: u64,
    /// Most bytes the large frames of all connections may hold.
    pub max_buffered: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: 1024,
            idle_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(20),
            frame_timeout: Duration::from_secs(20),
            min_rate: 500,
            max_buffered: 256 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// How long `bytes` may take beyond the frame timeout, at the minimum rate.
    fn allowance(&self, bytes: usize) -> Duration {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        Duration::from_millis(bytes.saturating_mul(1000) / self.min_rate.max(1))
    }
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
    let budget = Arc::new(Budget::new(limits.max_buffered));
    let mut repeats = Repeats::default();
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
                let (codec, log_in_thread, active_in_thread, budget) = (
                    codec.clone(),
                    log.clone(),
                    Arc::clone(&active),
                    Arc::clone(&budget),
                );
                let started = spawn(Box::new(move || {
                    log_in_thread(Event::Connected { peer });
                    let connection = Connection::new(stream, peer, codec, limits, budget);
                    let ended = connection.serve(&log_in_thread);
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
                if let Some(event) = repeats.accept_failed(error, Instant::now()) {
                    log(event);
                }
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
    /// The codec as it was before any byte: reads the header of the frame being received.
    idle_codec: Codec,
    limits: Limits,
    budget: Arc<Budget>,
    rx: BytesMut,
    tx: BytesMut,
    scratch: Vec<u8>,
    frames: u64,
    /// When the first byte of the frame being received arrived.
    frame_began: Option<Instant>,
    /// Bytes of the budget this connection holds.
    taken: usize,
    /// The most the buffers held since they were last given back. (Their capacities now do
    /// not say: a frame split off the read buffer takes its share of the allocation with it,
    /// and the buffer keeps the whole allocation alive.)
    grown: usize,
}

/// How the echo loop ended, before the connection is closed: the event to log, and whether to
/// drain the client before closing (it may still be sending, and its unread bytes would reset
/// the echoes).
struct End(Event, bool);

fn timed_out(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

impl Connection {
    fn new(
        stream: TcpStream,
        peer: SocketAddr,
        codec: Codec,
        limits: Limits,
        budget: Arc<Budget>,
    ) -> Connection {
        Connection {
            stream,
            peer,
            idle_codec: codec.clone(),
            codec,
            limits,
            budget,
            rx: BytesMut::new(),
            tx: BytesMut::new(),
            scratch: vec![0; IDLE_READ_SIZE],
            frames: 0,
            frame_began: None,
            taken: 0,
            grown: 0,
        }
    }

    /// Echoes until the connection ends; closes it (draining the client first where that saves
    /// echoes); returns how it ended.
    fn serve(mut self, log: &dyn Fn(Event)) -> Event {
        let End(event, drain) = self.echo(log);
        let _ = self.stream.shutdown(Shutdown::Write);
        if drain {
            self.drain();
        }
        event
    }

    fn failed(&self, error: io::Error) -> End {
        End(
            Event::Failed {
                peer: self.peer,
                frames: self.frames,
                buffered: self.rx.len(),
                error,
            },
            true,
        )
    }

    fn timed_out(&self, stalled: Stalled) -> End {
        End(
            Event::TimedOut {
                peer: self.peer,
                frames: self.frames,
                stalled,
            },
            false,
        )
    }

    /// The frame being received, as the stream would end now: `TruncatedHeader` inside its
    /// header, `TruncatedFrame` (with its length on the wire) inside its body; `None` between
    /// frames. Read on a copy of the idle codec: nothing of the connection's state moves.
    fn pending_frame(&self) -> Option<DecodeError> {
        let mut codec = self.idle_codec.clone();
        let mut frames = codec.frames(&self.rx);
        while let Some(Ok(_)) = frames.next() {}
        frames.finish().err()
    }

    /// When the next read must have returned, and what the connection is waiting on then.
    fn read_deadline(&self, now: Instant) -> (Instant, Option<Stalled>) {
        let idle = now + self.limits.idle_timeout;
        let Some(began) = self.frame_began else {
            return (idle, None);
        };
        let after = now.duration_since(began);
        let (deadline, stalled) = match self.pending_frame() {
            Some(DecodeError::TruncatedFrame { buffered, expected }) => {
                let buffered = usize::try_from(buffered).unwrap_or(usize::MAX);
                (
                    began + self.limits.frame_timeout + self.limits.allowance(buffered),
                    Stalled::FrameTooSlow {
                        buffered,
                        expected: usize::try_from(expected).unwrap_or(usize::MAX),
                        after,
                    },
                )
            }
            _ => (
                began + self.limits.header_timeout,
                Stalled::HeaderTooSlow {
                    buffered: self.rx.len(),
                    after,
                },
            ),
        };
        if deadline < idle {
            (deadline, Some(stalled))
        } else {
            (idle, None)
        }
    }

    /// Where the connection stands when it has been silent: what the stream would end with now.
    fn silent(&self) -> Stalled {
        match self.pending_frame() {
            Some(error) => Stalled::MidFrame(error),
            None => Stalled::Silent,
        }
    }

    /// Sans IO at work: read what arrived, decode every whole frame in it, encode each echo
    /// into one output buffer, write that buffer once. The frames of one read share one `write`,
    /// and no echo waits in a buffer while the server blocks in `read`.
    fn echo(&mut self, log: &dyn Fn(Event)) -> End {
        loop {
            let now = Instant::now();
            let (deadline, stalled) = self.read_deadline(now);
            let Some(left) = deadline
                .checked_duration_since(now)
                .filter(|d| !d.is_zero())
            else {
                let stalled = stalled.unwrap_or_else(|| self.silent());
                return self.timed_out(stalled);
            };
            if let Err(error) = self.stream.set_read_timeout(Some(left)) {
                return self.failed(error);
            }
            let n = match self.stream.read(&mut self.scratch) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if timed_out(&e) => {
                    let (_, stalled) = self.read_deadline(Instant::now());
                    let stalled = stalled.unwrap_or_else(|| self.silent());
                    return self.timed_out(stalled);
                }
                Err(e) => return self.failed(e),
            };
            if self.rx.is_empty() && n > 0 {
                self.frame_began = Some(Instant::now());
            }
            self.rx.extend_from_slice(&self.scratch[..n]);
            self.note_growth();
            // A read that filled the buffer: more is coming, read more at once next time.
            if n == self.scratch.len() && self.scratch.len() < READ_SIZE {
                self.scratch = vec![0; (2 * self.scratch.len()).min(READ_SIZE)];
            }
            let at_eof = n == 0;
            let end = self.decode_all(at_eof);
            // Echo what was whole before ending, whatever ended it.
            self.note_growth();
            if let Err(end) = self.write_echoes() {
                return end;
            }
            if let Some(end) = end {
                return end;
            }
            if let Err(end) = self.admit_pending_frame() {
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
                    // The next frame began in the read that finished this one, if any of it.
                    self.frame_began = (!self.rx.is_empty()).then(Instant::now);
                    // The frame came through this codec, so it is within its limit and
                    // encodes; an error here would be a bug in the codec.
                    if let Err(e) = self.codec.encode(&frame, &mut self.tx) {
                        return Some(self.failed(e.into()));
                    }
                }
                Ok(None) if at_eof => {
                    return Some(End(
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
                        | DecodeError::TruncatedFrame { .. } => End(
                            Event::ClosedMidFrame {
                                peer,
                                frames,
                                error,
                            },
                            false,
                        ),
                        _ => End(
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

    /// Writes the pending echoes, at the minimum rate at least: the client must take them
    /// within the frame timeout and what the minimum rate adds for what it took.
    fn write_echoes(&mut self) -> Result<(), End> {
        let began = Instant::now();
        let mut written = 0;
        while !self.tx.is_empty() {
            let now = Instant::now();
            let deadline = (began + self.limits.frame_timeout + self.limits.allowance(written))
                .min(now + self.limits.idle_timeout);
            let Some(left) = deadline
                .checked_duration_since(now)
                .filter(|d| !d.is_zero())
            else {
                return Err(self.not_reading(began));
            };
            if let Err(error) = self.stream.set_write_timeout(Some(left)) {
                return Err(self.failed(error));
            }
            match self.stream.write(&self.tx) {
                Ok(0) => return Err(self.failed(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    let _ = self.tx.split_to(n);
                    written += n;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if timed_out(&e) => return Err(self.not_reading(began)),
                Err(e) => return Err(self.failed(e)),
            }
        }
        Ok(())
    }

    fn not_reading(&self, began: Instant) -> End {
        self.timed_out(Stalled::NotReading {
            pending: self.tx.len(),
            after: began.elapsed(),
        })
    }

    /// A large frame being received holds twice its length of the budget (its bytes, then its
    /// echo) before more of it is read; while the budget has no room, it waits, for at most the
    /// header timeout, then is refused.
    fn admit_pending_frame(&mut self) -> Result<(), End> {
        let Some(DecodeError::TruncatedFrame { expected, .. }) = self.pending_frame() else {
            return Ok(());
        };
        let frame = usize::try_from(expected).unwrap_or(usize::MAX);
        let needed = frame.saturating_mul(2);
        if frame <= LARGE_FRAME || self.taken >= needed {
            return Ok(());
        }
        let more = needed - self.taken;
        let waited_since = Instant::now();
        loop {
            match self.budget.take(more) {
                Ok(()) => {
                    self.taken += more;
                    // Room for the whole frame at once: grown by doubling, the buffer could
                    // end up twice the frame, past what the budget counts.
                    self.rx.reserve(frame.saturating_sub(self.rx.len()));
                    self.note_growth();
                    return Ok(());
                }
                Err(held) if waited_since.elapsed() >= self.limits.header_timeout => {
                    let event = Event::OverBudget {
                        peer: self.peer,
                        frames: self.frames,
                        frame,
                        held,
                        budget: self.budget.max(),
                    };
                    return Err(End(event, true));
                }
                Err(_) => {
                    // Not reading meanwhile: the client's bytes wait in the kernel, and the
                    // frame's time does not run (it is the server's doing).
                    thread::sleep(BUDGET_POLL);
                    if let Some(began) = &mut self.frame_began {
                        *began += BUDGET_POLL;
                    }
                }
            }
        }
    }

    fn note_growth(&mut self) {
        self.grown = self.grown.max(self.rx.capacity() + self.tx.capacity());
    }

    /// Between frames with nothing pending, gives back buffers a large frame grew, and the
    /// budget it held.
    fn release_if_idle(&mut self, log: &dyn Fn(Event)) {
        if !self.rx.is_empty() || !self.tx.is_empty() {
            return;
        }
        if self.taken > 0 {
            self.budget.give(self.taken);
            self.taken = 0;
        }
        if self.grown <= KEEP_WHEN_IDLE {
            return;
        }
        let held = self.grown + self.scratch.len();
        self.grown = 0;
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

impl Drop for Connection {
    fn drop(&mut self) {
        // However the connection ended, the budget it held is free again.
        if self.taken > 0 {
            self.budget.give(self.taken);
        }
    }
}
