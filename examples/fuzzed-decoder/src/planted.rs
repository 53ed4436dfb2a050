//! A planted bug, for lenframe's demonstration that the second engine pays: a decoder that is
//! right for every message but one kind, `0xA7F3` (say, the bulk messages of an older version
//! of the protocol, handled by a separate path nobody cut in pieces), whose body it takes from
//! whatever arrived with the header. Random cases almost never draw that kind (1 in 65 536 per
//! message); a coverage-guided fuzzer sees the comparison and steers to it.

use bytes::{Buf, BytesMut};

use crate::{Message, HEADER_LEN};

/// The kind the old path handles.
pub const LEGACY_BULK: u16 = 0xA7F3;

/// [`crate::decode`], with the legacy path's bug.
///
/// # Errors
///
/// Never.
pub fn decode(buf: &mut BytesMut) -> Result<Option<Message>, std::convert::Infallible> {
    if buf.len() < HEADER_LEN {
        return Ok(None);
    }
    let kind = u16::from_be_bytes([buf[0], buf[1]]);
    let len = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
    if kind == LEGACY_BULK {
        // The bug: the body is assumed to have arrived with its header.
        buf.advance(HEADER_LEN);
        let body = buf.split_to(len.min(buf.len())).to_vec();
        return Ok(Some(Message { kind, body }));
    }
    crate::decode(buf)
}
