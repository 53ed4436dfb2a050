//! Push parsers: each chunk is handed over (pushed) and the parser keeps what it needs itself,
//! returning messages as they complete (postcard's `CobsAccumulator`, the `cobs` crate's
//! streaming decoders, ublox's parser). The harness keeps nothing, so it counts what the parser
//! holds: the bytes pushed since the end of the last message.

use std::fmt;

use super::parser::{used_by, Parse, Parsed};
use super::{Decoder, Flow, Log, RunSpec, Shape};

/// A push parser, `FnMut(&[u8]) -> R` where `R` is one of the shapes of
/// [`Parse`](crate::testkit::Parse), from a factory of fresh ones. Each chunk of the stream is
/// pushed; a message with the bytes it used of the push means the rest of the push is pushed
/// again at once (as does [`Parsed::Skip`](crate::testkit::Parsed::Skip), and
/// [`Parsed::Error`](crate::testkit::Parsed::Error) for a message it rejects); "incomplete"
/// means the parser took every byte, as does an `Err`. At the end of the stream the parser is
/// pushed an empty slice, until it returns no message: its chance to return a last message, or
/// an error for a message cut short.
///
/// The bytes pushed since the end of the last message are the parser's to hold: a stream that
/// ends with some is a message cut short, which the parser reports with an error or (by the
/// default [`Truncation`](crate::testkit::Truncation)) by holding them.
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{push_parser, Checker};
///
/// /// Messages end with a 0 byte (no 0 inside): the parser keeps the bytes of the one that
/// /// has not ended, and returns one message per call, with the bytes of the push it used.
/// let decoder = push_parser(|| {
///     let mut held = Vec::new();
///     move |pushed: &[u8]| match pushed.iter().position(|&b| b == 0) {
///         Some(end) => {
///             held.extend_from_slice(&pushed[..end]);
///             Some((std::mem::take(&mut held), end + 1))
///         }
///         None => {
///             held.extend_from_slice(pushed);
///             None
///         }
///     }
/// });
/// let encode = |msg: &Vec<u8>, dst: &mut BytesMut| {
///     dst.put_slice(msg);
///     dst.put_u8(0);
/// };
/// Checker::new(decoder, encode, proptest::collection::vec(1u8..=255, 0..20)).assert();
/// ```
pub fn push_parser<N, P, R>(new_parser: N) -> Decoder<R::Message>
where
    N: Fn() -> P + 'static,
    P: FnMut(&[u8]) -> R,
    R: Parse,
    R::Message: 'static,
{
    Decoder::new(PushParser(new_parser))
}

struct PushParser<N>(N);

impl<N, P, R> Shape<R::Message> for PushParser<N>
where
    N: Fn() -> P,
    P: FnMut(&[u8]) -> R,
    R: Parse,
    R::Error: fmt::Debug,
{
    fn name(&self) -> &'static str {
        "push parser"
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, R::Message>) {
        let Some(mut push) = log.call(&self.0) else {
            return;
        };
        let ends = log.ends();
        let mut fed = 0;
        // Bytes pushed that belong to no message returned yet: what the parser holds.
        let mut held = 0;
        let mut chunks = spec.chunks.iter();
        loop {
            let (mut pushed, at_eof) = match chunks.next() {
                Some(&n) => {
                    fed += n;
                    (&spec.stream[fed - n..fed], false)
                }
                None => (&[][..], true),
            };
            loop {
                log.finish(held);
                let Some(result) = log.call(|| push(pushed).parsed()) else {
                    return;
                };
                let found = match result {
                    Ok(found) => found,
                    Err(e) => match log.error(e, !pushed.is_empty()) {
                        Flow::Stop => {
                            log.finish(held);
                            return;
                        }
                        // An error that means "incomplete" took the bytes, as `Incomplete`.
                        Flow::Wait => {
                            held += pushed.len();
                            if !at_eof {
                                log.waiting(fed);
                            }
                            break;
                        }
                        // An error the check expected took what was pushed; a parser that
                        // resynchronizes holds nothing of it.
                        Flow::Go => {
                            held = 0;
                            break;
                        }
                    },
                };
                let used = match used_by(&found, pushed.len()) {
                    Ok(used) => used,
                    Err(how) => {
                        log.broken(how.replace("parser said", "push parser said"));
                        return;
                    }
                };
                if matches!(found, Parsed::Skip(0)) && !pushed.is_empty() {
                    log.broken(format!(
                        "the push parser took none of the {} bytes pushed, and returned no \
                         message",
                        pushed.len()
                    ));
                    return;
                }
                let message = matches!(found, Parsed::Message(..));
                held = match &found {
                    // A message ends what was held; so does a rejection, after which the
                    // parser starts afresh.
                    Parsed::Message(..) | Parsed::Error(..) => 0,
                    Parsed::Skip(_) => held,
                    Parsed::Incomplete => held + pushed.len(),
                    // All taken at once: what the parser holds is what came after the end of
                    // the last message returned (known when the messages are encoded ones).
                    Parsed::Messages(found) if found.is_empty() => held + pushed.len(),
                    Parsed::Messages(found) => {
                        let returned = log.returned() + found.len();
                        match returned.checked_sub(1).and_then(|last| ends.get(last)) {
                            Some(&end) => fed.saturating_sub(end),
                            None => 0,
                        }
                    }
                };
                pushed = match found {
                    Parsed::Message(..) | Parsed::Skip(_) | Parsed::Error(..) => &pushed[used..],
                    Parsed::Incomplete | Parsed::Messages(_) => &[],
                };
                let flow = match found {
                    Parsed::Error(e, used) => log.error(e, used > 0),
                    found => super::parser::take(found, log),
                };
                match flow {
                    Flow::Stop => {
                        log.finish(held);
                        return;
                    }
                    // A message or a skip with bytes left: push the rest. At the end of the
                    // stream, after a message, push the end again: another may follow.
                    _ if !pushed.is_empty() || (at_eof && message) => {}
                    _ => {
                        if !at_eof {
                            log.waiting(fed);
                        }
                        break;
                    }
                }
            }
            if at_eof {
                log.finish(held);
                return;
            }
        }
    }
}
