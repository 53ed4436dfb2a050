//! A type-length-value protocol, the way many are: each message is a 2-byte kind, a 2-byte
//! length, then that many bytes of body, all big-endian. `decode` takes messages off the front
//! of the bytes received so far, whatever pieces they arrived in.
//!
//! The crate is lenframe's template for checking a decoder of one's own: `tests/decoder.rs`
//! runs the testkit's checker (`tests/checker/mod.rs`) as a property test and over the committed
//! corpus, `fuzz/fuzz_targets/decode.rs` runs the same checker under libFuzzer.

use bytes::{Buf, BufMut, BytesMut};

pub mod planted;

/// Bytes before a message's body: its kind and its length.
pub const HEADER_LEN: usize = 4;

/// One message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// What the message is.
    pub kind: u16,
    /// Its body, at most 65 535 bytes.
    pub body: Vec<u8>,
}

/// A message this side cannot send.
#[derive(Debug, PartialEq, Eq)]
pub struct TooLong {
    /// The body's length.
    pub len: usize,
}

/// Appends `message` to `dst`.
///
/// # Errors
///
/// [`TooLong`] when the body does not fit in the 2-byte length; nothing is written.
pub fn encode(message: &Message, dst: &mut BytesMut) -> Result<(), TooLong> {
    let len = u16::try_from(message.body.len()).map_err(|_| TooLong {
        len: message.body.len(),
    })?;
    dst.reserve(HEADER_LEN + message.body.len());
    dst.put_u16(message.kind);
    dst.put_u16(len);
    dst.put_slice(&message.body);
    Ok(())
}

/// The next message off the front of `buf`, `Ok(None)` until one has arrived whole.
///
/// # Errors
///
/// Never, in this protocol: every header is valid. (The type says a decoder can fail.)
pub fn decode(buf: &mut BytesMut) -> Result<Option<Message>, std::convert::Infallible> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
    if buf.len() < HEADER_LEN + len {
        return Ok(None);
    }
    let kind = buf.get_u16();
    buf.advance(2);
    Ok(Some(Message {
        kind,
        body: buf.split_to(len).to_vec(),
    }))
}
