//! Proving a decoder of your own immune to sticky packets, with lenframe's testkit: a decoder
//! for CRLF-terminated lines (as in SMTP, RESP or HTTP headers), checked under every cut of the
//! stream, and a broken variant the checker catches with the smallest failing case.
//!
//! ```sh
//! cargo run --example line_checker
//! ```

use std::fmt;
use std::string::FromUtf8Error;

use bytes::{Buf, BufMut, BytesMut};
use lenframe::testkit::{Checker, Decode};

/// What can go wrong decoding lines.
#[derive(Debug)]
enum LineError {
    /// A line that is not UTF-8.
    NotUtf8(FromUtf8Error),
    /// The stream ended inside a line.
    Unterminated { buffered: usize },
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineError::NotUtf8(e) => write!(f, "line is not UTF-8: {e}"),
            LineError::Unterminated { buffered } => {
                write!(f, "stream ended inside a line: {buffered} bytes buffered")
            }
        }
    }
}

impl std::error::Error for LineError {}

/// One message per line, each ending with `\r\n`.
#[derive(Debug, Default)]
struct CrlfLines {
    /// Bytes already searched for the terminator: a long line arriving in many reads is searched
    /// once, not once per read.
    searched: usize,
}

impl Decode for CrlfLines {
    type Message = String;
    type Error = LineError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<String>, LineError> {
        // Search from one byte back: the `\r` may have come at the end of the last read.
        let from = self.searched.saturating_sub(1);
        let Some(at) = buf[from..].windows(2).position(|w| w == b"\r\n") else {
            self.searched = buf.len();
            return Ok(None);
        };
        self.searched = 0;
        let line = buf.split_to(from + at);
        buf.advance(2);
        String::from_utf8(line.to_vec())
            .map(Some)
            .map_err(LineError::NotUtf8)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<String>, LineError> {
        match self.decode(buf)? {
            None if !buf.is_empty() => Err(LineError::Unterminated {
                buffered: buf.len(),
            }),
            line => Ok(line),
        }
    }
}

/// The bug: a line ends at `\r`, and the `\n` after it is skipped when it arrived in the same
/// read. When the read ends between the two, the `\n` starts the next line.
fn lone_cr_lines(buf: &mut BytesMut) -> Result<Option<String>, LineError> {
    let Some(at) = buf.iter().position(|&b| b == b'\r') else {
        return Ok(None);
    };
    let line = buf.split_to(at);
    buf.advance(1);
    if buf.first() == Some(&b'\n') {
        buf.advance(1);
    }
    String::from_utf8(line.to_vec())
        .map(Some)
        .map_err(LineError::NotUtf8)
}

fn encode(line: &String, dst: &mut BytesMut) {
    dst.put_slice(line.as_bytes());
    dst.put_slice(b"\r\n");
}

fn main() -> Result<(), String> {
    // Lines of up to 12 characters, none of them a line break; lists of 0 to 8 lines.
    let line = "[a-z ]{0,12}";

    Checker::new(CrlfLines::default, encode, line)
        .run()
        .map_err(|failure| format!("CrlfLines should pass:\n{failure}"))?;
    println!(
        "CrlfLines: passed (message lists decoded whole, cut at random, after every byte, and cut short inside each message)"
    );

    let failure = Checker::new(|| lone_cr_lines, encode, line)
        .run()
        .err()
        .ok_or("lone_cr_lines should be caught")?;
    println!("lone_cr_lines: caught, the smallest failing case:\n{failure}");
    Ok(())
}
