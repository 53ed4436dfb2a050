//! Parsers that return the rest of their input with the message, nom's shape
//! (`IResult<&[u8], M>`), and the shape of imap-codec, tls-parser and amq-protocol: the harness
//! works out the bytes used from the length of the rest, which must be the input's end.

use std::fmt;

use bytes::Buf;

use super::{feed, step, Decoder, Flow, Log, RunSpec, Shape, Step};

/// A parser that returns the rest of its input with the message, `FnMut(&[u8]) -> Result<(&[u8],
/// M), E>` (nom's `IResult<&[u8], M>`), from a factory of fresh ones. "Incomplete" is an error:
/// say which with `Decoder::incomplete_when` (for nom, `Err::is_incomplete`). The message and
/// the error must own their data: map a borrowed one inside the closure (nom's
/// `Err::to_owned`, a message's `into_owned`).
///
/// ```
/// use bytes::{BufMut, BytesMut};
/// use lenframe::testkit::{rest_parser, Checker};
///
/// #[derive(Debug, PartialEq)]
/// enum Error { Incomplete, Zero }
///
/// /// A one-byte length (not 0), then the message: nom's shape.
/// fn message(input: &[u8]) -> Result<(&[u8], Vec<u8>), Error> {
///     let (&len, rest) = input.split_first().ok_or(Error::Incomplete)?;
///     if len == 0 {
///         return Err(Error::Zero);
///     }
///     let body = rest.get(..usize::from(len)).ok_or(Error::Incomplete)?;
///     Ok((&rest[body.len()..], body.to_vec()))
/// }
/// let encode = |msg: &Vec<u8>, dst: &mut BytesMut| {
///     dst.put_u8(u8::try_from(msg.len()).unwrap());
///     dst.put_slice(msg);
/// };
/// let decoder = rest_parser(|| message).incomplete_when(|e: &Error| *e == Error::Incomplete);
/// Checker::new(decoder, encode, proptest::collection::vec(0u8..=255, 1..20)).assert();
/// ```
pub fn rest_parser<N, P, M, E>(new_parser: N) -> Decoder<M>
where
    N: Fn() -> P + 'static,
    P: for<'a> FnMut(&'a [u8]) -> Result<(&'a [u8], M), E>,
    M: 'static,
    E: fmt::Debug + 'static,
{
    Decoder::new(RestParser(new_parser))
}

struct RestParser<N>(N);

/// The bytes of `input` before `rest`: `Err` when `rest` is not the input's end.
fn used(input: &[u8], rest: &[u8]) -> Result<usize, String> {
    let end = input.as_ptr_range().end;
    if rest.is_empty() || (rest.len() <= input.len() && rest.as_ptr_range().end == end) {
        Ok(input.len() - rest.len())
    } else {
        Err(format!(
            "the parser returned a rest of {} bytes that is not the end of its input of {}",
            rest.len(),
            input.len()
        ))
    }
}

impl<N, P, M, E> Shape<M> for RestParser<N>
where
    N: Fn() -> P,
    P: for<'a> FnMut(&'a [u8]) -> Result<(&'a [u8], M), E>,
    E: fmt::Debug + 'static,
{
    fn name(&self) -> &'static str {
        "rest parser"
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, M>) {
        let Some(mut parse) = log.call(&self.0) else {
            return;
        };
        let leftover = feed(spec.stream, spec.chunks, |buf, at_eof, fed| {
            let before = buf.len();
            log.finish(before);
            let Some(result) = log.call(|| {
                let input = &buf[..];
                parse(input).map(|(rest, message)| (used(input, rest), message))
            }) else {
                return Step::Stop;
            };
            let flow = match result {
                Ok((Ok(used), message)) => {
                    buf.advance(used);
                    log.message(message)
                }
                Ok((Err(how), _)) => {
                    log.broken(how);
                    Flow::Stop
                }
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

#[cfg(test)]
mod tests {
    use super::used;

    #[test]
    fn the_rest_must_be_the_end_of_the_input() {
        let input = b"abcdef";
        assert_eq!(used(input, &input[2..]), Ok(2));
        assert_eq!(used(input, &[]), Ok(6));
        assert!(used(input, &input[1..3]).is_err());
        assert!(used(input, b"ef").is_err());
    }
}
