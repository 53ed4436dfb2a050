//! What happens to a connection ([`Event`]): the server logs one line per event, and lines
//! about one cause that repeat many times a second (an `accept` that keeps failing) are
//! rate-limited. Part of `support/echo.rs`, which re-exports what is here.

use std::fmt;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use lenframe::DecodeError;

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
    /// A frame would have taken the server's buffers past their budget, and did not fit within
    /// the header timeout: the connection was closed after echoing the frames before it.
    OverBudget {
        peer: SocketAddr,
        frames: u64,
        /// The frame's length on the wire.
        frame: usize,
        /// Bytes the server's large frames held meanwhile.
        held: usize,
        /// The budget.
        budget: usize,
    },
    /// The connection was too slow, or silent for the idle timeout; `stalled` says how.
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
    /// `accept` failed (out of file descriptors, say), and `repeats` more times since the
    /// line before it about the same cause; the server goes on.
    AcceptFailed { error: io::Error, repeats: u64 },
}

/// How a connection was too slow, or silent.
#[derive(Debug)]
pub enum Stalled {
    /// Nothing sent since its last frame, for the idle timeout.
    Silent,
    /// Part of a header or a frame sent, the rest not for the idle timeout: what the stream
    /// would end with.
    MidFrame(DecodeError),
    /// A header began, and was not whole within the header timeout.
    HeaderTooSlow { buffered: usize, after: Duration },
    /// A frame's header came, and the frame was not whole within the frame timeout and what
    /// the minimum rate added for the bytes that did come.
    FrameTooSlow {
        buffered: usize,
        expected: usize,
        after: Duration,
    },
    /// The client does not read its echoes at the minimum rate (or not at all).
    NotReading { pending: usize, after: Duration },
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
            Stalled::HeaderTooSlow { buffered, after } => write!(
                f,
                "a header not whole after {:.1} s ({buffered} bytes of it)",
                after.as_secs_f64()
            ),
            Stalled::FrameTooSlow {
                buffered,
                expected,
                after,
            } => write!(
                f,
                "a frame not whole after {:.1} s ({buffered} bytes of {expected})",
                after.as_secs_f64()
            ),
            Stalled::NotReading { pending, after } => write!(
                f,
                "not reading its echoes ({pending} bytes unsent after {:.1} s)",
                after.as_secs_f64()
            ),
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
            Event::OverBudget {
                peer,
                frames,
                frame,
                held,
                budget,
            } => write!(
                f,
                "{peer}: refused a frame of {frame} bytes after {frames} frames: the server's \
                 large frames held {held} of its budget of {budget} bytes"
            ),
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
            Event::AcceptFailed { error, repeats: 0 } => write!(f, "accept failed: {error}"),
            Event::AcceptFailed { error, repeats } => write!(
                f,
                "accept failed: {error} (and {repeats} times more since the last line)"
            ),
        }
    }
}

/// Logs an event on stderr; a line that cannot be written (stderr closed) is dropped, never a
/// panic (`eprintln!` would panic).
pub fn log_to_stderr(event: Event) {
    let _ = writeln!(io::stderr().lock(), "{event}");
}

/// How often a line about one repeated cause is logged at most.
pub const REPEAT_EVERY: Duration = Duration::from_secs(1);

/// Holds back lines about a cause that repeats: the first is logged, and then at most one a
/// [`REPEAT_EVERY`], counting the ones held back.
#[derive(Debug, Default)]
pub struct Repeats {
    last: Option<(Instant, io::ErrorKind)>,
    held_back: u64,
}

impl Repeats {
    /// The event for an `accept` that failed with `error`, or `None` when it is held back.
    pub fn accept_failed(&mut self, error: io::Error, now: Instant) -> Option<Event> {
        match self.last {
            Some((at, kind)) if kind == error.kind() && now.duration_since(at) < REPEAT_EVERY => {
                self.held_back += 1;
                None
            }
            _ => {
                let repeats = std::mem::take(&mut self.held_back);
                self.last = Some((now, error.kind()));
                Some(Event::AcceptFailed { error, repeats })
            }
        }
    }
}
