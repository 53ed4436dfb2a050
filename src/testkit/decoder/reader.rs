//! Decoders that read their bytes from a `std::io::Read` themselves (a `FrameReader`, a
//! `BufReader` and a parse loop): each run hands the decoder a [`StreamReader`] that returns the
//! stream in the case's chunks, with `Interrupted` errors, and calls the decoder's "next
//! message" until it says the stream ended.
//!
//! A blocking read on a live connection waits until the peer sends more. So a decoder that
//! reads again while a whole message it has not returned has arrived would wait forever on a
//! peer that waits for the answer: the reader reports that as a stall
//! ([`Fault::Stalled`](crate::testkit::Fault::Stalled)).

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;

use super::{Decoder, Flow, Log, RunSpec, Shape};

/// Reads in a row that deliver nothing (at the end of the stream, or into an empty buffer) a
/// decoder may make before the run stops it: a decoder that loops on `Ok(0)` never returns.
const READS_WITHOUT_BYTES: usize = 1000;

/// What the run and its reader share.
#[derive(Debug)]
struct Shared {
    data: Rc<[u8]>,
    /// Bytes handed out so far.
    pos: usize,
    /// Chunk lengths, the next one to hand out, and what is left of the current one.
    chunks: Vec<usize>,
    next_chunk: usize,
    chunk_left: usize,
    interrupt_every: usize,
    reads: usize,
    reads_without_bytes: usize,
    /// Set when the reader stopped a decoder that kept reading nothing.
    stopped: bool,
    /// Where each expected message ends, and how many the decoder has returned.
    ends: Vec<usize>,
    returned: usize,
    /// Set when the decoder read again with a whole message it had not returned delivered.
    waited_with_whole: Option<usize>,
}

/// The reader a [`reader`] decoder is given: the stream in the run's chunks (a read returns at
/// most the rest of the current chunk), an `Interrupted` error before every k-th read in the
/// chunked run, `Ok(0)` at the end.
pub struct StreamReader {
    shared: Rc<RefCell<Shared>>,
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = self.shared.borrow();
        f.debug_struct("StreamReader")
            .field("delivered", &shared.pos)
            .field("len", &shared.data.len())
            .finish_non_exhaustive()
    }
}

impl Read for StreamReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut s = self.shared.borrow_mut();
        s.reads += 1;
        if s.interrupt_every >= 2 && s.reads.is_multiple_of(s.interrupt_every) {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                "scheduled interrupt",
            ));
        }
        if s.waited_with_whole.is_none() {
            if let Some(&end) = s.ends.get(s.returned) {
                if end <= s.pos && s.pos < s.data.len() {
                    s.waited_with_whole = Some(s.pos);
                }
            }
        }
        while s.chunk_left == 0 && s.next_chunk < s.chunks.len() {
            s.chunk_left = s.chunks[s.next_chunk];
            s.next_chunk += 1;
        }
        if buf.is_empty() || s.chunk_left == 0 {
            s.reads_without_bytes += 1;
            if s.reads_without_bytes > READS_WITHOUT_BYTES {
                s.stopped = true;
                drop(s);
                // Unwinds out of the decoder's call, which the run catches.
                panic!("the reader stopped a decoder that kept reading nothing");
            }
            return Ok(0);
        }
        s.reads_without_bytes = 0;
        let n = buf.len().min(s.chunk_left);
        let start = s.pos;
        buf[..n].copy_from_slice(&s.data[start..start + n]);
        s.pos += n;
        s.chunk_left -= n;
        Ok(n)
    }
}

/// A decoder that reads from a `std::io::Read`: `new_decoder` takes the [`StreamReader`] and
/// returns the "next message" function, `FnMut() -> Result<Option<T>, E>` (`Ok(None)`: the
/// stream ended).
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use lenframe::io::FrameReader;
/// use lenframe::testkit::{reader, Checker};
/// use lenframe::Codec;
/// # use proptest::strategy::Strategy;
///
/// let decoder = reader(|stream| {
///     let mut frames = FrameReader::new(stream);
///     move || frames.read_frame()
/// });
/// let encode = |frame: &Bytes, dst: &mut BytesMut| Codec::new().encode(frame, dst).unwrap();
/// let frame = proptest::collection::vec(0u8..=255, 0..40).prop_map(Bytes::from);
/// Checker::new(decoder, encode, frame).assert();
/// ```
pub fn reader<N, G, T, E>(new_decoder: N) -> Decoder<T>
where
    N: Fn(StreamReader) -> G + 'static,
    G: FnMut() -> Result<Option<T>, E>,
    E: fmt::Debug + 'static,
    T: 'static,
{
    Decoder::new(Reader(new_decoder))
}

struct Reader<N>(N);

impl<N, G, T, E> Shape<T> for Reader<N>
where
    N: Fn(StreamReader) -> G,
    G: FnMut() -> Result<Option<T>, E>,
    E: fmt::Debug + 'static,
{
    fn name(&self) -> &'static str {
        "reader"
    }

    fn run(&self, spec: &RunSpec<'_>, log: &mut Log<'_, T>) {
        let shared = Rc::new(RefCell::new(Shared {
            data: Rc::from(spec.stream),
            pos: 0,
            chunks: spec.chunks.to_vec(),
            next_chunk: 0,
            chunk_left: 0,
            interrupt_every: spec.interrupt_every,
            reads: 0,
            reads_without_bytes: 0,
            stopped: false,
            ends: log.ends().to_vec(),
            returned: 0,
            waited_with_whole: None,
        }));
        let stream = StreamReader {
            shared: Rc::clone(&shared),
        };
        let Some(mut next) = log.call(|| (self.0)(stream)) else {
            return;
        };
        loop {
            let before = {
                let mut shared = shared.borrow_mut();
                shared.returned = log.returned();
                shared.pos
            };
            let result = log.call(&mut next);
            let waited = shared.borrow_mut().waited_with_whole.take();
            if let Some(delivered) = waited {
                log.waiting(delivered);
            }
            let flow = match result {
                Some(Ok(Some(message))) => log.message(message),
                Some(Ok(None)) => break,
                Some(Err(e)) => {
                    let consumed = shared.borrow().pos > before;
                    log.error(e, consumed)
                }
                None if shared.borrow().stopped => {
                    log.no_progress(
                        "kept reading without getting bytes (at the end of the stream, or \
                         into an empty buffer), without returning",
                    );
                    Flow::Stop
                }
                // A panic: the log's ending says so.
                None => Flow::Stop,
            };
            if flow == Flow::Stop {
                break;
            }
        }
        let shared = shared.borrow();
        log.finish(shared.data.len() - shared.pos);
    }
}
