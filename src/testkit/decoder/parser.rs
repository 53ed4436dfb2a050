//! Slice parsers: functions that look at the bytes buffered so far and say "a message, and this
//! many bytes of the input", "these bytes, and no message" or "incomplete". The harness keeps
//! the buffer and advances it by what each call used. What a parser returns comes in several
//! shapes ([`Parse`]); push parsers return the same shapes ([`push_parser`]).
//!
//! [`push_parser`]: crate::testkit::push_parser

use std::fmt;

use bytes::Buf;

use super::{feed, step, Decoder, Flow, Log, RunSpec, Shape, Step};

/// What one call of a parser found: the general form of what [`Parse`] reads from a parser's
/// return value. A parser may return it directly, for the cases the shorter forms cannot say:
/// bytes used without a message, several messages at once, an error that used some bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed<M, E = std::convert::Infallible> {
    /// A message, and the bytes of the input it used.
    Message(M, usize),
    /// Bytes of the input used without a message (whitespace between values, a keep-alive).
    Skip(usize),
    /// No whole message yet: wait for more bytes.
    Incomplete,
    /// These messages, and all of the input used (push parsers that yield several at once).
    Messages(Vec<M>),
    /// An error, and the bytes of the input it used (a resynchronizing parser that rejects a
    /// message and goes on after it): they are dropped, and the parser called again on the
    /// rest, or pushed the rest. (An `Err` from a parser uses no byte of a slice parser's
    /// input, and all of a push.)
    Error(E, usize),
}

/// What a parser returns, in one of the shapes parsers come in: the message and how many bytes
/// of the input it used, or "incomplete".
///
/// | the parser returns | "incomplete" is |
/// |---|---|
/// | `Option<(M, usize)>` | `None` |
/// | `Result<Option<(M, usize)>, E>` | `Ok(None)` |
/// | `Result<(M, usize), E>` | an error: say which with `Decoder::incomplete_when` |
/// | `Vec<M>`, `Result<Vec<M>, E>` (all of the input used) | an empty `Vec` |
/// | [`Parsed<M, E>`], `Result<Parsed<M>, E>` | [`Parsed::Incomplete`] |
pub trait Parse {
    /// The message.
    type Message;
    /// The parser's error.
    type Error: fmt::Debug + 'static;

    /// The general form.
    ///
    /// # Errors
    ///
    /// The parser's error.
    fn parsed(self) -> Result<Parsed<Self::Message, Self::Error>, Self::Error>;
}

/// A form without [`Parsed::Error`], as one of a parser's error type.
fn with_error<M, E>(found: Parsed<M>) -> Parsed<M, E> {
    match found {
        Parsed::Message(m, used) => Parsed::Message(m, used),
        Parsed::Skip(used) => Parsed::Skip(used),
        Parsed::Incomplete => Parsed::Incomplete,
        Parsed::Messages(messages) => Parsed::Messages(messages),
        Parsed::Error(never, _) => match never {},
    }
}

impl<M> Parse for Option<(M, usize)> {
    type Message = M;
    type Error = std::convert::Infallible;
    fn parsed(self) -> Result<Parsed<M, Self::Error>, Self::Error> {
        Ok(self.map_or(Parsed::Incomplete, |(m, used)| Parsed::Message(m, used)))
    }
}

impl<M, E: fmt::Debug + 'static> Parse for Result<Option<(M, usize)>, E> {
    type Message = M;
    type Error = E;
    fn parsed(self) -> Result<Parsed<M, E>, E> {
        self.map(|found| found.map_or(Parsed::Incomplete, |(m, used)| Parsed::Message(m, used)))
    }
}

impl<M, E: fmt::Debug + 'static> Parse for Result<(M, usize), E> {
    type Message = M;
    type Error = E;
    fn parsed(self) -> Result<Parsed<M, E>, E> {
        self.map(|(m, used)| Parsed::Message(m, used))
    }
}

impl<M> Parse for Vec<M> {
    type Message = M;
    type Error = std::convert::Infallible;
    fn parsed(self) -> Result<Parsed<M, Self::Error>, Self::Error> {
        Ok(Parsed::Messages(self))
    }
}

impl<M, E: fmt::Debug + 'static> Parse for Result<Vec<M>, E> {
    type Message = M;
    type Error = E;
    fn parsed(self) -> Result<Parsed<M, E>, E> {
        self.map(Parsed::Messages)
    }
}

impl<M, E: fmt::Debug + 'static> Parse for Parsed<M, E> {
    type Message = M;
    type Error = E;
    fn parsed(self) -> Result<Parsed<M, E>, E> {
        Ok(self)
    }
}

impl<M, E: fmt::Debug + 'static> Parse for Result<Parsed<M>, E> {
    type Message = M;
    type Error = E;
    fn parsed(self) -> Result<Parsed<M, E>, E> {
        self.map(with_error)
    }
}

/// A slice parser, `FnMut(&[u8]) -> R` where `R` is one of the shapes of [`Parse`], from a
/// factory of fresh ones. The harness keeps the bytes that arrived, gives the parser all of
/// them on each call, and drops what the parser says it used.
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
pub fn parser<N, P, R>(new_parser: N) -> Decoder<R::Message>
where
    N: Fn() -> P + 'static,
    P: FnMut(&[u8]) -> R,
    R: Parse,
    R::Message: 'static,
{
    Decoder::new(Parser(new_parser))
}

struct Parser<N>(N);

impl<N, P, R> Shape<R::Message> for Parser<N>
where
    N: Fn() -> P,
    P: FnMut(&[u8]) -> R,
    R: Parse,
{
    fn name(&self) -> &'static str {
        "parser"
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, R::Message>) {
        let Some(mut parse) = log.call(&self.0) else {
            return;
        };
        let leftover = feed(spec.stream, spec.chunks, |buf, at_eof, fed| {
            let before = buf.len();
            log.finish(before);
            let Some(result) = log.call(|| parse(&buf[..]).parsed()) else {
                return Step::Stop;
            };
            let flow = match result {
                Ok(found) => match used_by(&found, before) {
                    Err(how) => {
                        log.broken(how);
                        Flow::Stop
                    }
                    Ok(used) => {
                        buf.advance(used);
                        match found {
                            Parsed::Error(e, used) => log.error(e, used > 0),
                            found => take(found, log),
                        }
                    }
                },
                // The harness consumes for the parser, never on an error.
                Err(e) => log.error(e, false),
            };
            if flow == Flow::Wait && !at_eof {
                log.waiting(fed);
            }
            step(flow)
        });
        log.finish(leftover);
    }
}

/// The bytes `found` used of an input of `len`: `Err` when that is more than the input.
pub(crate) fn used_by<M, E>(found: &Parsed<M, E>, len: usize) -> Result<usize, String> {
    let used = match found {
        Parsed::Message(_, used) | Parsed::Skip(used) | Parsed::Error(_, used) => *used,
        Parsed::Incomplete => 0,
        Parsed::Messages(_) => len,
    };
    if used > len {
        let what = match found {
            Parsed::Message(..) => "its message used",
            _ => "it used",
        };
        return Err(format!(
            "the parser said {what} {used} bytes of an input of {len}"
        ));
    }
    Ok(used)
}

/// Logs what a parser found (its bytes already dropped; an error is the caller's to log): the
/// [`Flow`] of the run.
pub(crate) fn take<M, E>(found: Parsed<M, E>, log: &mut Log<'_, M>) -> Flow {
    match found {
        Parsed::Message(message, _) => log.message(message),
        // Bytes dropped without a message: call again on what is left.
        Parsed::Skip(used) if used > 0 => Flow::Go,
        Parsed::Skip(_) | Parsed::Incomplete => Flow::Wait,
        Parsed::Messages(messages) => {
            for message in messages {
                if log.message(message) == Flow::Stop {
                    return Flow::Stop;
                }
            }
            Flow::Wait
        }
        Parsed::Error(..) => Flow::Go,
    }
}
