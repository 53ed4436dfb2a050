//! `tiny` frames, the smallest framing that can go wrong: one length byte, then the body. The
//! decoders here are the checker's usual subjects, a planted bug behind a flag, and its twin.

use bytes::{Buf, BufMut, BytesMut};
use lenframe::testkit::{Checker, Decode};
use proptest::collection::vec;
use proptest::prelude::*;

/// One length byte, then the body. With `whole_reads` (the planted bug), once the length byte is
/// in, the body is whatever has arrived: a decoder that assumes a read holds a whole message.
pub fn tiny(whole_reads: bool) -> impl FnMut(&mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
    move |buf| {
        let Some(&len) = buf.first() else {
            return Ok(None);
        };
        let len = usize::from(len);
        if buf.len() <= len && !whole_reads {
            return Ok(None);
        }
        buf.advance(1);
        let body = buf.split_to(len.min(buf.len()));
        Ok(Some(body.to_vec()))
    }
}

#[allow(clippy::ptr_arg)] // an encoder of `Vec<u8>` messages takes `&Vec<u8>`
pub fn encode(msg: &Vec<u8>, dst: &mut BytesMut) {
    dst.put_u8(u8::try_from(msg.len()).expect("messages under 256 bytes"));
    dst.put_slice(msg);
}

/// Messages of up to 7 bytes.
pub fn message() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..8)
}

/// A checker of `tiny(whole_reads)`.
pub fn checker(whole_reads: bool) -> Checker<Vec<u8>> {
    Checker::new(move || tiny(whole_reads), encode, message())
}

/// `tiny(false)`, with the bytes of no whole frame left at the end of the stream handed to a
/// function that says what to return for them (the truncation oracle's subject).
pub struct AtEof(pub fn(&mut BytesMut) -> Option<Vec<u8>>);

/// The planted bug of the truncation oracle: at the end of the stream, whatever is buffered is
/// returned as a last message, even the start of a cut one. Whole streams decode right.
pub const REST_AT_EOF: AtEof = AtEof(|rest| Some(rest.split().to_vec()));

/// [`REST_AT_EOF`]'s twin: the bytes stay in the buffer, where the caller sees them (what the
/// default `Truncation::Reported` accepts).
pub const REST_STAYS: AtEof = AtEof(|_| None);

impl Decode for AtEof {
    type Message = Vec<u8>;
    type Error = ();

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
        tiny(false)(buf)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
        match self.decode(buf)? {
            None if !buf.is_empty() => Ok((self.0)(buf)),
            decoded => Ok(decoded),
        }
    }
}

/// A cursor parser of `tiny` frames that reads its length byte at the start of the buffer
/// instead of at the cursor's position (the planted bug of the junk oracle), or at the position.
pub fn cursor_tiny(
    from_start: bool,
) -> impl FnMut(&mut std::io::Cursor<&[u8]>) -> std::io::Result<Vec<u8>> {
    move |cursor| {
        let at = usize::try_from(cursor.position()).unwrap();
        let input = *cursor.get_ref();
        let len_at = if from_start { 0 } else { at };
        let len = usize::from(*input.get(len_at).ok_or(std::io::ErrorKind::UnexpectedEof)?);
        let body = input
            .get(at + 1..at + 1 + len)
            .ok_or(std::io::ErrorKind::UnexpectedEof)?;
        cursor.set_position(u64::try_from(at + 1 + len).unwrap());
        Ok(body.to_vec())
    }
}
