//! Slice and cursor parsers: functions that look at the bytes buffered so far and say "a
//! message, and this many bytes of the input", or "incomplete". The harness keeps the buffer,
//! advances it by what each message used, and maps "incomplete" to "wait for more" once, here,
//! however the parser says it: `Ok(None)`, an error ([`Parser::incomplete_when`]), an
//! `io::ErrorKind::UnexpectedEof` ([`unexpected_eof`]).
//!
//! A cursor parser (`&mut Cursor<&[u8]>`, the shape of mini-redis's `Frame::parse`) also gets a
//! junk run: the cursor's buffer holds junk before the input and its position starts after it,
//! so a parser that indexes from the start of the buffer instead of from its position reads
//! the junk and fails ([`Violation::Junk`](crate::testkit::Violation::Junk)), as swift-nio's
//! verifier does with a reader index that is not zero.

use std::fmt;
use std::io::Cursor;

use bytes::{Buf, BytesMut};

use super::{guarded, Flow, Log, RunSpec, Subject};
use crate::testkit::feeder::{feed, Step};

/// The byte junk is made of: not a plausible length, not a plausible terminator.
const JUNK: u8 = 0xEE;

/// What a slice parser returns, in one of the shapes parsers come in. The message, and how
/// many bytes of the input it used; or "incomplete".
pub trait Parse {
    /// The message.
    type Message;
    /// The parser's error.
    type Error: fmt::Debug + 'static;
    /// `Ok(Some((message, used)))`, `Ok(None)` for "incomplete", or the error.
    ///
    /// # Errors
    ///
    /// The parser's error.
    fn parsed(self) -> Result<Option<(Self::Message, usize)>, Self::Error>;
}

/// `Ok(None)` is "incomplete".
impl<M, E: fmt::Debug + 'static> Parse for Result<Option<(M, usize)>, E> {
    type Message = M;
    type Error = E;
    fn parsed(self) -> Result<Option<(M, usize)>, E> {
        self
    }
}

/// "Incomplete" is an error: say which with [`Parser::incomplete_when`].
impl<M, E: fmt::Debug + 'static> Parse for Result<(M, usize), E> {
    type Message = M;
    type Error = E;
    fn parsed(self) -> Result<Option<(M, usize)>, E> {
        self.map(Some)
    }
}

/// `None` is "incomplete"; the parser cannot fail.
impl<M> Parse for Option<(M, usize)> {
    type Message = M;
    type Error = std::convert::Infallible;
    fn parsed(self) -> Result<Option<(M, usize)>, Self::Error> {
        Ok(self)
    }
}

/// Whether a parser's error means "incomplete": a function of the error, or [`Never`].
pub trait Incomplete<E> {
    /// Whether `error` means "wait for more bytes".
    fn incomplete(&self, error: &E) -> bool;
}

/// No error means "incomplete" (the parser says it another way, or cannot).
#[derive(Clone, Copy, Debug, Default)]
pub struct Never;

impl<E> Incomplete<E> for Never {
    fn incomplete(&self, _: &E) -> bool {
        false
    }
}

impl<E, F: Fn(&E) -> bool> Incomplete<E> for F {
    fn incomplete(&self, error: &E) -> bool {
        self(error)
    }
}

/// A slice parser as a decoder shape: see [`parser`].
pub struct Parser<N, I = Never> {
    new_parser: N,
    incomplete: I,
}

impl<N, I> fmt::Debug for Parser<N, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Parser").finish_non_exhaustive()
    }
}

/// A slice parser, `FnMut(&[u8]) -> R` where `R` is `Result<Option<(M, usize)>, E>`,
/// `Result<(M, usize), E>` or `Option<(M, usize)>` ([`Parse`]), from a factory of fresh ones.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{parser, Checker};
///
/// /// A one-byte length, then the message: `None` until it is all there.
/// fn parse(input: &[u8]) -> Option<(Vec<u8>, usize)> {
///     let (&len, rest) = input.split_first()?;
///     let body = rest.get(..usize::from(len))?;
///     Some((body.to_vec(), 1 + body.len()))
/// }
/// let encode = |msg: &Vec<u8>, dst: &mut BytesMut| {
///     dst.put_u8(u8::try_from(msg.len()).unwrap());
///     dst.put_slice(msg);
/// };
/// Checker::new(parser(|| parse), encode, proptest::collection::vec(0u8..=255, 0..20)).assert();
/// ```
pub fn parser<N, P, R>(new_parser: N) -> Parser<N>
where
    N: Fn() -> P,
    P: FnMut(&[u8]) -> R,
    R: Parse,
{
    Parser {
        new_parser,
        incomplete: Never,
    }
}

impl<N> Parser<N> {
    /// The parser says "incomplete" with an error: those for which `incomplete` is true mean
    /// "wait for more bytes"; the others are errors.
    ///
    /// ```
    /// use bytes::{BufMut, BytesMut};
    /// use lenframe::testkit::{parser, Checker};
    ///
    /// #[derive(Debug)]
    /// enum Error { Insufficient(usize), Invalid }
    ///
    /// fn parse(input: &[u8]) -> Result<(u16, usize), Error> {
    ///     match input {
    ///         [0xAA, hi, lo, ..] => Ok((u16::from_be_bytes([*hi, *lo]), 3)),
    ///         [0xAA, ..] | [] => Err(Error::Insufficient(3 - input.len())),
    ///         _ => Err(Error::Invalid),
    ///     }
    /// }
    /// let encode = |n: &u16, dst: &mut BytesMut| { dst.put_u8(0xAA); dst.put_u16(*n) };
    /// let parse = parser(|| parse).incomplete_when(|e: &Error| matches!(e, Error::Insufficient(_)));
    /// Checker::new(parse, encode, proptest::num::u16::ANY).assert();
    /// ```
    pub fn incomplete_when<E, I>(self, incomplete: I) -> Parser<N, I>
    where
        I: Fn(&E) -> bool,
    {
        Parser {
            new_parser: self.new_parser,
            incomplete,
        }
    }
}

/// For [`Parser::incomplete_when`] and [`CursorParser::incomplete_when`]: an `io::Error` of
/// kind `UnexpectedEof` means "incomplete" (parsers that read with `std::io::Read` on a slice).
pub fn unexpected_eof(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::UnexpectedEof
}

/// What a parse of the buffered bytes found.
enum Found<M> {
    Message(M, usize),
    Incomplete,
    /// The parser broke its contract, as said.
    Broken(String),
}

/// Runs a parser over `spec`: the harness keeps the buffer, and gives the parser a view of it
/// from `view` (plain, or behind junk).
fn run_parser<M, E: fmt::Debug + 'static>(
    spec: &RunSpec<'_>,
    log: &mut Log<'_, M>,
    mut parse: impl FnMut(&[u8]) -> Result<Found<M>, E>,
) {
    let leftover = feed(
        spec.stream,
        spec.chunks,
        |buf: &mut BytesMut, at_eof, fed| {
            let before = buf.len();
            let Some(result) = guarded(log, || parse(&buf[..])) else {
                return Step::Stop;
            };
            let flow = match result {
                Ok(Found::Message(message, used)) if used <= before => {
                    buf.advance(used);
                    log.message(message)
                }
                Ok(Found::Message(_, used)) => {
                    log.broken(&format!(
                        "the parser said its message used {used} bytes of an input of {before}"
                    ));
                    Flow::Stop
                }
                Ok(Found::Incomplete) => {
                    if !at_eof {
                        log.waiting(fed);
                    }
                    return Step::More;
                }
                Ok(Found::Broken(how)) => {
                    log.broken(&how);
                    Flow::Stop
                }
                // The harness consumes for the parser, never on an error.
                Err(e) => log.error(e, false),
            };
            match flow {
                Flow::Go => Step::Again,
                Flow::Stop => Step::Stop,
            }
        },
    );
    log.finish(leftover);
}

impl<N, P, R, I> Subject for Parser<N, I>
where
    N: Fn() -> P,
    P: FnMut(&[u8]) -> R,
    R: Parse,
    I: Incomplete<R::Error>,
{
    type Message = R::Message;

    fn takes_junk(&self) -> bool {
        true
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, R::Message>) {
        let mut parse = (self.new_parser)();
        // With junk, the input is a slice that starts inside a larger buffer.
        let mut scratch = vec![JUNK; spec.junk];
        run_parser(spec, log, |input| {
            let input = if spec.junk == 0 {
                input
            } else {
                scratch.truncate(spec.junk);
                scratch.extend_from_slice(input);
                &scratch[spec.junk..]
            };
            match parse(input).parsed() {
                Ok(Some((message, used))) => Ok(Found::Message(message, used)),
                Ok(None) => Ok(Found::Incomplete),
                Err(e) if self.incomplete.incomplete(&e) => Ok(Found::Incomplete),
                Err(e) => Err(e),
            }
        });
    }
}

/// A cursor parser as a decoder shape: see [`cursor_parser`].
pub struct CursorParser<N, I = Never> {
    new_parser: N,
    incomplete: I,
}

impl<N, I> fmt::Debug for CursorParser<N, I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CursorParser").finish_non_exhaustive()
    }
}

/// A cursor parser, `FnMut(&mut Cursor<&[u8]>) -> Result<M, E>`, from a factory of fresh ones:
/// the message is what the cursor moved over. "Incomplete" is an error: say which with
/// [`CursorParser::incomplete_when`].
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
/// let parse = cursor_parser(|| parse).incomplete_when(unexpected_eof);
/// Checker::new(parse, encode, proptest::collection::vec(0u8..=255, 0..20)).assert();
/// ```
pub fn cursor_parser<N, P, M, E>(new_parser: N) -> CursorParser<N>
where
    N: Fn() -> P,
    P: FnMut(&mut Cursor<&[u8]>) -> Result<M, E>,
    E: fmt::Debug + 'static,
{
    CursorParser {
        new_parser,
        incomplete: Never,
    }
}

impl<N> CursorParser<N> {
    /// Errors for which `incomplete` is true mean "wait for more bytes"; the others are errors.
    pub fn incomplete_when<E, I>(self, incomplete: I) -> CursorParser<N, I>
    where
        I: Fn(&E) -> bool,
    {
        CursorParser {
            new_parser: self.new_parser,
            incomplete,
        }
    }
}

impl<N, P, M, E, I> Subject for CursorParser<N, I>
where
    N: Fn() -> P,
    P: FnMut(&mut Cursor<&[u8]>) -> Result<M, E>,
    E: fmt::Debug + 'static,
    I: Incomplete<E>,
{
    type Message = M;

    fn takes_junk(&self) -> bool {
        true
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, M>) {
        let mut parse = (self.new_parser)();
        let junk = spec.junk;
        let mut scratch = vec![JUNK; junk];
        run_parser(spec, log, |input| {
            scratch.truncate(junk);
            scratch.extend_from_slice(input);
            let mut cursor = Cursor::new(&scratch[..]);
            cursor.set_position(junk as u64);
            let result = parse(&mut cursor);
            let used = usize::try_from(cursor.position()).unwrap_or(usize::MAX);
            match result {
                Ok(message) => Ok(match used.checked_sub(junk) {
                    Some(used) => Found::Message(message, used),
                    None => Found::Broken(format!(
                        "the parser left the cursor at {used}, before the input's start at {junk}"
                    )),
                }),
                Err(e) if self.incomplete.incomplete(&e) => Ok(Found::Incomplete),
                Err(e) => Err(e),
            }
        });
    }
}
