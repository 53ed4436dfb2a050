//! The echo server's and client's shared parts: the framing flags (the builder's own names) and
//! the server loop. `examples/echo_server.rs` and `examples/echo_client.rs` are thin `main`s over
//! this file, and `tests/tcp_loopback.rs` runs the same server in-process to watch its events.
//!
//! Concurrency: one thread per connection. The server needs nothing but `std` and lenframe's
//! default features; a thread blocked in `read` costs no CPU, and a client that misbehaves (stalls,
//! vanishes, sends garbage) can only stop its own thread. Tens of thousands of connections would
//! call for tokio (`Framed<TcpStream, lenframe::Codec>`, feature `tokio`); an example echo server
//! does not.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use bytes::BytesMut;
use lenframe::{Builder, Codec, ConfigError, DecodeError};

/// How many bytes one `read` asks for: frames arriving together are decoded, and their echoes
/// written, in one batch.
const READ_SIZE: usize = 64 * 1024;

/// What the flags ask for: the address (`--listen` for the server, `--connect` for the client)
/// and the framing.
#[derive(Debug)]
pub struct Options {
    /// The address flag's value.
    pub addr: String,
    /// The codec the framing flags describe.
    pub codec: Codec,
}

/// A command line the flags cannot make sense of.
#[derive(Debug)]
pub enum UsageError {
    /// `--help` or `-h`: not an error, the usage text was asked for.
    Help,
    /// A flag that is not one of ours.
    Unknown(String),
    /// A flag that needs a value came last.
    MissingValue(&'static str),
    /// A numeric flag's value is not a number.
    NotANumber { flag: &'static str, value: String },
    /// The address flag is missing.
    MissingAddress(&'static str),
    /// The flags describe a layout the builder rejects.
    Config(ConfigError),
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::Help => write!(f, "usage asked for"),
            UsageError::Unknown(flag) => write!(f, "unknown flag {flag:?}"),
            UsageError::MissingValue(flag) => write!(f, "{flag} needs a value"),
            UsageError::NotANumber { flag, value } => {
                write!(f, "{flag} takes a number, not {value:?}")
            }
            UsageError::MissingAddress(flag) => write!(f, "{flag} ADDRESS is required"),
            UsageError::Config(e) => write!(f, "invalid framing: {e}"),
        }
    }
}

impl std::error::Error for UsageError {}

/// The framing flags, for usage messages.
pub const FRAMING_FLAGS: &str = "[--length-field-length N] [--little-endian | --native-endian] \
                                 [--varint] [--max-frame-length N]";

/// What the framing flags mean, for `--help`.
pub const FRAMING_HELP: &str = "\
Framing (give the server and its clients the same flags):
  --length-field-length N  width of the big-endian length header, 1 to 8 bytes (default 4)
  --little-endian          the header is little-endian
  --native-endian          the header is in this machine's byte order
  --varint                 the header is an unsigned LEB128 varint (protobuf delimited)
  --max-frame-length N     longest frame accepted, in bytes (default 8388608, or what the
                           header can announce)
  -h, --help               print this help";

/// Parses `--ADDR_FLAG ADDRESS` and the framing flags (named as the builder's methods).
pub fn parse_args(
    args: impl IntoIterator<Item = String>,
    addr_flag: &'static str,
) -> Result<Options, UsageError> {
    fn number(flag: &'static str, value: String) -> Result<usize, UsageError> {
        value
            .parse()
            .map_err(|_| UsageError::NotANumber { flag, value })
    }
    let mut args = args.into_iter();
    let mut addr = None;
    let mut builder = Builder::new();
    while let Some(arg) = args.next() {
        let mut value = |flag: &'static str| args.next().ok_or(UsageError::MissingValue(flag));
        builder = match arg.as_str() {
            flag if flag == addr_flag => {
                addr = Some(value(addr_flag)?);
                builder
            }
            "--length-field-length" => {
                let flag = "--length-field-length";
                builder.length_field_length(number(flag, value(flag)?)?)
            }
            "--max-frame-length" => {
                let flag = "--max-frame-length";
                builder.max_frame_length(number(flag, value(flag)?)?)
            }
            "--little-endian" => builder.little_endian(),
            "--native-endian" => builder.native_endian(),
            "--varint" => builder.varint(),
            "--help" | "-h" => return Err(UsageError::Help),
            _ => return Err(UsageError::Unknown(arg)),
        };
    }
    Ok(Options {
        addr: addr.ok_or(UsageError::MissingAddress(addr_flag))?,
        codec: builder.build().map_err(UsageError::Config)?,
    })
}

/// What happened to a connection: the server logs one line per event.
#[derive(Debug)]
pub enum Event {
    /// A client connected.
    Connected { peer: SocketAddr },
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
    /// Reading or writing failed (the client reset the connection, say); `buffered` bytes of an
    /// unfinished frame were dropped with it.
    Failed {
        peer: SocketAddr,
        frames: u64,
        buffered: usize,
        error: io::Error,
    },
    /// `accept` failed (out of file descriptors, say); the server goes on.
    AcceptFailed { error: io::Error },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Connected { peer } => write!(f, "{peer}: connected"),
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
            Event::AcceptFailed { error } => write!(f, "accept failed: {error}"),
        }
    }
}

/// Serves every connection of `listener` on its own thread, echoing each frame back framed by
/// `codec`, and reports each connection's events to `log`. Never returns: it accepts forever.
pub fn serve<L>(listener: &TcpListener, codec: &Codec, log: L) -> !
where
    L: Fn(Event) + Clone + Send + 'static,
{
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                let codec = codec.clone();
                let log = log.clone();
                thread::spawn(move || {
                    log(Event::Connected { peer });
                    log(echo(stream, peer, codec));
                });
            }
            Err(error) => {
                log(Event::AcceptFailed { error });
                // Out of descriptors or memory: back off rather than spin on the same error.
                thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// Echoes one connection until it ends; returns how it ended.
///
/// Sans IO at work: read what arrived, decode every whole frame in it, encode each echo into
/// one output buffer, write that buffer once. The frames of one read share one `write`, and no
/// echo waits in a buffer while the server blocks in `read`.
fn echo(mut stream: TcpStream, peer: SocketAddr, mut codec: Codec) -> Event {
    let mut rx = BytesMut::new();
    let mut tx = BytesMut::new();
    let mut scratch = vec![0u8; READ_SIZE];
    let mut frames = 0u64;
    let failed = |frames, buffered, error| Event::Failed {
        peer,
        frames,
        buffered,
        error,
    };
    loop {
        let n = match stream.read(&mut scratch) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return failed(frames, rx.len(), e),
        };
        rx.extend_from_slice(&scratch[..n]);
        let at_eof = n == 0;
        let end = loop {
            let decoded = if at_eof {
                codec.decode_eof(&mut rx)
            } else {
                codec.decode(&mut rx)
            };
            match decoded {
                Ok(Some(frame)) => {
                    frames += 1;
                    // The frame came through this codec, so it is within its limit and
                    // encodes; an error here would be a bug in the codec.
                    if let Err(e) = codec.encode(&frame, &mut tx) {
                        break Some(failed(frames, rx.len(), e.into()));
                    }
                }
                Ok(None) if at_eof => break Some(Event::ClosedCleanly { peer, frames }),
                Ok(None) => break None,
                Err(error) => {
                    break Some(match error {
                        DecodeError::TruncatedHeader { .. }
                        | DecodeError::TruncatedFrame { .. } => Event::ClosedMidFrame {
                            peer,
                            frames,
                            error,
                        },
                        _ => Event::Rejected {
                            peer,
                            frames,
                            error,
                        },
                    })
                }
            }
        };
        // Echo what was whole before ending, whatever ended it.
        if let Err(e) = stream.write_all(&tx) {
            return failed(frames, rx.len(), e);
        }
        tx.clear();
        if let Some(end) = end {
            // Tell the client no more is coming; the socket closes when `stream` drops.
            let _ = stream.shutdown(Shutdown::Write);
            return end;
        }
    }
}
