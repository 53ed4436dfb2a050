//! Cursor parsers (`&mut Cursor<&[u8]>`, the shape of mini-redis's `Frame::parse`): the message
//! is what the cursor moved over. They also get a junk run: the cursor's buffer holds junk
//! before the input and its position starts after it, so a parser that indexes from the start
//! of the buffer instead of from its position reads the junk and fails
//! ([`Run::Junk`](crate::testkit::Run::Junk)), as swift-nio's verifier does with a reader index
//! that is not zero.

use std::io::Cursor;

use super::{Decoder, Flow, Log, RunSpec, Shape};

/// The byte junk is made of: not a plausible length, not a plausible terminator.
const JUNK: u8 = 0xEE;

/// A cursor parser, `FnMut(&mut Cursor<&[u8]>) -> Result<M, E>`, from a factory of fresh ones:
/// the message is what the cursor moved over. "Incomplete" is an error: say which with
/// `Decoder::incomplete_when` ([`unexpected_eof`] for parsers that read with `std::io::Read`).
///
/// ```
/// use std::io::{Cursor, Read};
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{cursor_parser, unexpected_eof, Checker};
///
/// /// A 2-byte length, then the message, read with `std::io::Read` on the cursor.
/// fn parse(cursor: &mut Cursor<&[u8]>) -> std::io::Result<Vec<u8>> {
///     let mut len = [0; 2];
///     cursor.read_exact(&mut len)?;
///     let mut body = vec![0; usize::from(u16::from_be_bytes(len))];
///     cursor.read_exact(&mut body)?;
///     Ok(body)
/// }
/// let encode = |msg: &Vec<u8>, dst: &mut BytesMut| {
///     dst.put_u16(u16::try_from(msg.len()).unwrap());
///     dst.put_slice(msg);
/// };
/// let decoder = cursor_parser(|| parse).incomplete_when(unexpected_eof);
/// Checker::new(decoder, encode, proptest::collection::vec(0u8..=255, 0..20)).assert();
/// ```
pub fn cursor_parser<N, P, M, E>(new_parser: N) -> Decoder<M>
where
    N: Fn() -> P + 'static,
    P: FnMut(&mut Cursor<&[u8]>) -> Result<M, E>,
    E: std::fmt::Debug + 'static,
    M: 'static,
{
    Decoder::new(CursorParser(new_parser))
}

/// For `Decoder::incomplete_when`: an `io::Error` of kind `UnexpectedEof` means "incomplete"
/// (parsers that read with `std::io::Read` from a slice or a cursor).
///
/// ```
/// use std::io::{Error, ErrorKind};
/// assert!(lenframe::testkit::unexpected_eof(&Error::from(ErrorKind::UnexpectedEof)));
/// assert!(!lenframe::testkit::unexpected_eof(&Error::from(ErrorKind::InvalidData)));
/// ```
#[must_use]
pub fn unexpected_eof(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::UnexpectedEof
}

struct CursorParser<N>(N);

/// The bytes a cursor parser sees: `junk` bytes of junk, then the input. What the parser
/// uses is dropped from the front by moving a start offset; the junk before the input is
/// written again there (at most 255 bytes per message), and the input moves back to the
/// front only once it is shorter than what was dropped: every byte is moved at most once on
/// average, so the run costs time linear in the stream.
struct Space {
    bytes: Vec<u8>,
    junk: usize,
    /// Where the input starts in `bytes` (at least `junk`).
    start: usize,
}

impl Space {
    fn new(junk: usize, capacity: usize) -> Space {
        let mut bytes = Vec::with_capacity(junk + capacity);
        bytes.resize(junk, JUNK);
        Space {
            bytes,
            junk,
            start: junk,
        }
    }

    fn input_len(&self) -> usize {
        self.bytes.len() - self.start
    }

    /// The junk and the input, the junk just before the input.
    fn view(&self) -> &[u8] {
        &self.bytes[self.start - self.junk..]
    }

    fn drop_front(&mut self, used: usize) {
        self.start += used;
        let dropped = self.start - self.junk;
        if dropped >= self.input_len() {
            self.bytes.drain(self.junk..self.start);
            self.start = self.junk;
        } else if self.junk > 0 && used > 0 {
            let start = self.start;
            self.bytes[start - self.junk..start].fill(JUNK);
        }
    }
}

impl<N, P, M, E> Shape<M> for CursorParser<N>
where
    N: Fn() -> P,
    P: FnMut(&mut Cursor<&[u8]>) -> Result<M, E>,
    E: std::fmt::Debug + 'static,
{
    fn name(&self) -> &'static str {
        "cursor parser"
    }

    fn takes_junk(&self) -> bool {
        true
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, M>) {
        let Some(mut parse) = log.call(&self.0) else {
            return;
        };
        let junk = spec.junk;
        let mut space = Space::new(junk, spec.stream.len().min(8 * 1024));
        let mut fed = 0;
        let mut chunks = spec.chunks.iter();
        let mut at_eof = false;
        loop {
            // Feed the next chunk, or mark the end, when the last call asked for more.
            match chunks.next() {
                Some(&n) => {
                    space.bytes.extend_from_slice(&spec.stream[fed..fed + n]);
                    fed += n;
                }
                None => at_eof = true,
            }
            loop {
                let before = space.input_len();
                log.finish(before);
                let view = space.view();
                let Some((result, position)) = log.call(|| {
                    let mut cursor = Cursor::new(view);
                    cursor.set_position(junk as u64);
                    let result = parse(&mut cursor);
                    (result, cursor.position())
                }) else {
                    return;
                };
                let position = usize::try_from(position).unwrap_or(usize::MAX);
                let flow = match result {
                    Ok(message) => match position.checked_sub(junk) {
                        Some(used) if used <= before => {
                            space.drop_front(used);
                            log.message(message)
                        }
                        Some(used) => {
                            log.broken(format!(
                                "the parser moved the cursor over {used} bytes of an input of \
                                 {before}"
                            ));
                            Flow::Stop
                        }
                        None => {
                            log.broken(format!(
                                "the parser left the cursor at {position}, before the input's \
                                 start at {junk}"
                            ));
                            Flow::Stop
                        }
                    },
                    // The harness consumes for the parser, never on an error.
                    Err(e) => log.error(e, false),
                };
                match flow {
                    Flow::Go => {}
                    Flow::Wait => {
                        if !at_eof {
                            log.waiting(fed);
                        }
                        break;
                    }
                    Flow::Stop => {
                        log.finish(space.input_len());
                        return;
                    }
                }
            }
            if at_eof {
                log.finish(space.input_len());
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Space;

    #[test]
    fn junk_stays_in_front_of_the_input_as_it_is_used() {
        let mut space = Space::new(2, 16);
        space.bytes.extend_from_slice(b"abcdef");
        assert_eq!(space.view(), b"\xee\xeeabcdef");
        space.drop_front(1);
        assert_eq!(space.view(), b"\xee\xeebcdef");
        space.drop_front(3);
        // Less input left than was dropped: moved back to the front.
        assert_eq!(space.view(), b"\xee\xeeef");
        assert_eq!(space.start, 2);
        let mut plain = Space::new(0, 4);
        plain.bytes.extend_from_slice(b"xy");
        plain.drop_front(1);
        assert_eq!(plain.view(), b"y");
    }
}
