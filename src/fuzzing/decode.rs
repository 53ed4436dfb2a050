//! Target `decode`: any layout and any stream, through the testkit's any-stream check
//! ([`StreamCheck`]: the same result in one piece and in the plan's chunks, memory within its
//! bound), with lenframe's own invariants checked on every call, and on some inputs the borrowed
//! path and a re-encode of every frame.

use std::cell::RefCell;
use std::rc::Rc;

use super::*;
use crate::testkit::{Chunking, Decode, Plan, StreamCheck};

/// Paths flag: the borrowed path (`Codec::frames`) on the same chunks must agree with `decode`.
pub const BORROWED: u8 = 1;
/// Paths flag: every frame, re-encoded with the layout, gives back the bytes its call consumed.
pub const REENCODE: u8 = 2;

/// What the chunked run of [`Watched`] returned, for the extra paths.
#[derive(Debug, Default)]
struct Recorded {
    outcome: Outcome,
    /// Stream bytes consumed so far: where the buffer starts in the stream.
    consumed: usize,
    /// A fatal error was returned (and checked to repeat): the run is over.
    stopped: Option<DecodeError>,
}

/// lenframe's `Codec` with its own invariants asserted around every call (what
/// [`feed_in_chunks`](crate::testkit::feed_in_chunks) asserts): a frame consumes input; the
/// decoder never waits with [`Codec::max_wire_length`] bytes buffered; a fatal error repeats
/// without consuming anything. Records frames, their stream spans and errors.
struct Watched {
    codec: Codec,
    recorded: Rc<RefCell<Recorded>>,
}

impl Watched {
    fn call(&mut self, buf: &mut BytesMut, at_eof: bool) -> Result<Option<Bytes>, DecodeError> {
        let mut recorded = self.recorded.borrow_mut();
        if let Some(e) = &recorded.stopped {
            return Err(e.clone());
        }
        let before = buf.len();
        let result = if at_eof {
            self.codec.decode_eof(buf)
        } else {
            self.codec.decode(buf)
        };
        let start = recorded.consumed;
        let end = start + (before - buf.len());
        recorded.consumed = end;
        recorded.outcome.leftover = buf.len();
        match &result {
            Ok(Some(frame)) => {
                assert!(
                    buf.len() < before,
                    "a frame was returned without consuming input"
                );
                recorded.outcome.frames.push(frame.clone());
                recorded.outcome.spans.push((start, end));
            }
            Ok(None) => assert!(
                buf.len() < self.codec.max_wire_length(),
                "decoder waits with {} bytes buffered, max wire length {}",
                buf.len(),
                self.codec.max_wire_length()
            ),
            Err(e) if e.is_fatal() => {
                let left = buf.len();
                let again = if at_eof {
                    self.codec.decode_eof(buf)
                } else {
                    self.codec.decode(buf)
                };
                assert_eq!(
                    again.err().as_ref(),
                    Some(e),
                    "a fatal error did not repeat"
                );
                assert_eq!(buf.len(), left, "a repeated fatal error consumed input");
                recorded.outcome.errors.push(e.clone());
                recorded.stopped = Some(e.clone());
            }
            Err(e) => recorded.outcome.errors.push(e.clone()),
        }
        result
    }
}

impl Decode for Watched {
    type Message = Bytes;
    type Error = DecodeError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        self.call(buf, false)
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, DecodeError> {
        self.call(buf, true)
    }
}

/// Target `decode`: arbitrary layout (valid or not), paths, chunking and stream.
///
/// ```text
/// layout (7 bytes, lenframe::fuzzing's format), paths (BORROWED | REENCODE), then a testkit
/// input (testkit::case): its plan's chunking is the chunked run's, the rest is the stream
/// ```
///
/// Oracles: building never panics, and a field width outside 1..=8 or `num_skip` with a varint
/// is the matching [`ConfigError`]; the testkit's [`StreamCheck`]: decoding in one piece and in
/// the chunks gives the same frames, errors, ending and leftover, never panics, never overruns,
/// and the buffer stays within [`capacity_bound`]; on every call, lenframe's invariants
/// (`Watched`). With [`BORROWED`]: the borrowed path ([`Codec::frames`], through
/// [`feed_borrowed`]) on the chunks gives the same frames, spans, errors and leftover. With
/// [`REENCODE`]: every frame, re-encoded with the same layout, gives back exactly the bytes its
/// call consumed (under the skip policy, the end of them: the call may first have finished
/// discarding an oversize frame).
pub fn decode(data: &[u8]) {
    let _limit = AllocationLimit::set(lenframe_allocations(data.len(), data.len()));
    let mut input = Input::new(data);
    let layout = LayoutBytes::parse(&mut input);
    let paths = input.byte();
    let (plan, stream) = Plan::parse(input.rest);
    let built = layout.builder().build();
    if layout.is_varint() && layout.num_skip_set() {
        assert!(
            matches!(built, Err(ConfigError::VarintNumSkip { .. })),
            "num_skip with a varint gave {built:?}"
        );
    } else if !layout.is_varint() && !(1..=8).contains(&layout.field) {
        assert!(
            matches!(built, Err(ConfigError::FieldLength { .. })),
            "a {}-byte field gave {built:?}",
            layout.field
        );
    }
    let Ok(codec) = built else {
        return;
    };
    assert!(codec.max_wire_length() >= codec.max_frame_length());

    let recorded = Rc::new(RefCell::new(Recorded::default()));
    let watched = || {
        *recorded.borrow_mut() = Recorded::default();
        Watched {
            codec: codec.clone(),
            recorded: Rc::clone(&recorded),
        }
    };
    // The one-piece run goes first, the chunked run last: what is recorded is the chunked run.
    if let Err(failure) = StreamCheck::new(watched)
        .capacity_bound(capacity_bound)
        .check(stream, &plan.chunking)
    {
        panic!("{failure}");
    }
    let chunked = std::mem::take(&mut recorded.borrow_mut().outcome);

    if paths & BORROWED != 0 {
        borrowed_agrees(&codec, stream, &plan.chunking, &chunked);
    }
    if paths & REENCODE != 0 {
        for (frame, &(start, end)) in chunked.frames.iter().zip(&chunked.spans) {
            reencode_matches(&codec, layout, frame, &stream[start..end]);
        }
    }
}

/// The borrowed path, on the same chunks: the same frames at the same places, the same errors,
/// the same bytes left over.
fn borrowed_agrees(codec: &Codec, stream: &[u8], chunking: &Chunking, owned: &Outcome) {
    let borrowed = feed_borrowed(
        &mut codec.clone(),
        stream,
        &chunking.chunk_lengths(stream.len()),
    );
    assert_eq!(
        frame_bytes(&borrowed),
        frame_bytes(owned),
        "borrowed and owned frames differ"
    );
    assert_eq!(
        borrowed.spans, owned.spans,
        "borrowed and owned spans differ"
    );
    assert_eq!(
        borrowed.errors, owned.errors,
        "borrowed and owned errors differ"
    );
    assert_eq!(
        borrowed.leftover, owned.leftover,
        "borrowed and owned leftovers differ"
    );
}

/// Re-encodes `frame` and checks it against the bytes its call consumed.
fn reencode_matches(codec: &Codec, layout: LayoutBytes, frame: &[u8], consumed: &[u8]) {
    // Only under the skip policy can a call consume more than its frame: the tail of a discard.
    let exact = codec.oversize_policy() == OversizePolicy::Error;
    // A fixed field has one width; a varint's is the one that re-encodes.
    let widths = if layout.is_varint() {
        1..=10
    } else {
        let width = usize::from(layout.field);
        width..=width
    };
    let matched = widths.into_iter().any(|width| {
        let Some((header, skip)) = layout.header_and_skip(width) else {
            return false;
        };
        let Some(wire_len) = skip.checked_add(frame.len()) else {
            return false;
        };
        if wire_len > consumed.len() || (exact && wire_len != consumed.len()) {
            return false;
        }
        let wire = &consumed[consumed.len() - wire_len..];
        // The frame keeps the header bytes after num_skip; the payload is what follows them.
        let (Some(payload), Some(prefix)) = (
            frame.get(header.saturating_sub(skip)..),
            wire.get(..layout.offset),
        ) else {
            return false;
        };
        let gap = wire.get(header..skip.max(header)).unwrap_or(&[]);
        let mut out = BytesMut::new();
        codec.encode_parts(prefix, gap, payload, &mut out).is_ok() && out[..] == *wire
    });
    assert!(
        matched,
        "frame of {} bytes does not re-encode to the {} bytes its call consumed",
        frame.len(),
        consumed.len()
    );
}
