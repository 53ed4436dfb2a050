//! The echo programs' flags: the address, the framing (named as the builder's own methods) and,
//! for the server, its limits. Part of `support/echo.rs`, which re-exports what is here.
//! Numeric flags take whole numbers of at least 1 (0 would turn a limit off, or mean nothing).

use std::fmt;
use std::time::Duration;

use lenframe::{Builder, Codec, ConfigError};

use super::Limits;

/// What the flags ask for: the address (`--listen` for the server, `--connect` for the client),
/// the framing, and (server only) the limits.
#[derive(Debug)]
pub struct Options {
    /// The address flag's value.
    pub addr: String,
    /// The codec the framing flags describe.
    pub codec: Codec,
    /// The server's limits.
    pub limits: Limits,
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
    /// A numeric flag's value is not a whole number.
    NotANumber { flag: &'static str, value: String },
    /// A limit's flag is 0, which would turn the limit off or mean nothing.
    Zero(&'static str),
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
                write!(f, "{flag} takes a whole number, not {value:?}")
            }
            UsageError::Zero(flag) => write!(f, "{flag} takes a number of at least 1, not 0"),
            UsageError::MissingAddress(flag) => write!(f, "{flag} ADDRESS is required"),
            UsageError::Config(e) => write!(f, "invalid framing: {e}"),
        }
    }
}

impl std::error::Error for UsageError {}

/// The framing flags, for usage messages.
pub const FRAMING_FLAGS: &str = "[--length-field-length N] [--little-endian | --native-endian] \
                                 [--varint] [--max-frame-length N]";

/// The server's own flags, for its usage message.
pub const SERVER_FLAGS: &str = "[--max-connections N] [--idle-timeout SECS] \
                                [--header-timeout SECS] [--frame-timeout SECS] \
                                [--min-rate BYTES_PER_SEC] [--max-buffered BYTES]";

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

/// What the server's flags mean, for its `--help`.
pub const SERVER_HELP: &str = "\
Limits:
  --max-connections N      most connections served at once (default 1024); one more is
                           closed at once
  --idle-timeout SECS      close a connection that moves no byte either way for this long
                           (default 60)
  --header-timeout SECS    a header must be whole this long after its first byte (default 20)
  --frame-timeout SECS     a frame must be whole this long after its first byte, one second
                           more for every --min-rate bytes that arrive; so must its echo be
                           read (default 20)
  --min-rate BYTES_PER_SEC the slowest a frame may arrive, or its echo be read, once the frame
                           timeout is past (default 500)
  --max-buffered BYTES     most bytes the frames over 64 KiB of all connections may hold,
                           twice each frame's length; a frame that does not fit waits for the
                           header timeout, then is refused (default 268435456)";

/// Parses `--ADDR_FLAG ADDRESS`, the framing flags (named as the builder's methods) and, for the
/// server (`--listen`), its limits.
pub fn parse_args(
    args: impl IntoIterator<Item = String>,
    addr_flag: &'static str,
) -> Result<Options, UsageError> {
    fn number(flag: &'static str, value: String) -> Result<usize, UsageError> {
        value
            .parse()
            .map_err(|_| UsageError::NotANumber { flag, value })
    }
    fn positive(flag: &'static str, value: String) -> Result<usize, UsageError> {
        match number(flag, value.clone())? {
            0 => Err(UsageError::Zero(flag)),
            n => Ok(n),
        }
    }
    fn seconds(
        flag: &'static str,
        value: &mut impl FnMut(&'static str) -> Result<String, UsageError>,
    ) -> Result<Duration, UsageError> {
        let secs = positive(flag, value(flag)?)?;
        Ok(Duration::from_secs(u64::try_from(secs).unwrap_or(u64::MAX)))
    }
    let server = addr_flag == "--listen";
    let mut args = args.into_iter();
    let mut addr = None;
    let mut builder = Builder::new();
    let mut limits = Limits::default();
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
            "--max-connections" if server => {
                let flag = "--max-connections";
                limits.max_connections = positive(flag, value(flag)?)?;
                builder
            }
            "--idle-timeout" if server => {
                limits.idle_timeout = seconds("--idle-timeout", &mut value)?;
                builder
            }
            "--header-timeout" if server => {
                limits.header_timeout = seconds("--header-timeout", &mut value)?;
                builder
            }
            "--frame-timeout" if server => {
                limits.frame_timeout = seconds("--frame-timeout", &mut value)?;
                builder
            }
            "--min-rate" if server => {
                let flag = "--min-rate";
                let rate = positive(flag, value(flag)?)?;
                limits.min_rate = u64::try_from(rate).unwrap_or(u64::MAX);
                builder
            }
            "--max-buffered" if server => {
                let flag = "--max-buffered";
                limits.max_buffered = positive(flag, value(flag)?)?;
                builder
            }
            "--help" | "-h" => return Err(UsageError::Help),
            _ => return Err(UsageError::Unknown(arg)),
        };
    }
    Ok(Options {
        addr: addr.ok_or(UsageError::MissingAddress(addr_flag))?,
        codec: builder.build().map_err(UsageError::Config)?,
        limits,
    })
}
