//! Fuzz oracles, shared by the cargo-fuzz targets in `fuzz/` and by `tests/corpus.rs`, which
//! replays the committed corpus through the same functions on stable Rust. Not a stable API.
//!
//! Each oracle takes the raw fuzz input and panics when a property fails. Inputs are parsed
//! here, by hand, from a small byte format (missing bytes read as zero), so any file replays the
//! same way everywhere and seeds can be written by hand:
//!
//! ```text
//! layout (8 bytes): offset, field, flags, adjustment (i8), num_skip, max (u16 LE), schedule len
//!   field: value % 12 -> 0..=9 fixed width (0 and 9 are invalid), 10 and 11 varint
//!   flags: bit 0 little-endian, bit 1 skip policy, bit 2 num_skip set, bit 3 max set
//! schedule: `schedule len % 16` bytes, chunk (or read) sizes, 0 read as 1
//! then the target's own bytes
//! ```

use std::io;

use bytes::{Bytes, BytesMut};

use crate::io::FrameReader;
use crate::testkit::{feed, feed_in_chunks, Outcome, ScriptedReader, Step};
use crate::{Builder, Codec, DecodeError, OversizePolicy};

/// A forward-only reader over the input; reads past the end give zeros.
struct Input<'a> {
    rest: &'a [u8],
}

impl<'a> Input<'a> {
    fn byte(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                b
            }
            None => 0,
        }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.rest.split_at(n.min(self.rest.len()));
        self.rest = rest;
        head
    }

    fn schedule(&mut self) -> Vec<usize> {
        let len = usize::from(self.byte() % 16);
        self.take(len)
            .iter()
            .map(|&b| usize::from(b).max(1))
            .collect()
    }
}

/// The layout part of an input, as data.
#[derive(Clone, Copy, Debug)]
struct LayoutBytes {
    offset: u8,
    field: u8,
    flags: u8,
    adjustment: i8,
    num_skip: u8,
    max: u16,
}

impl LayoutBytes {
    fn parse(input: &mut Input<'_>) -> LayoutBytes {
        LayoutBytes {
            offset: input.byte() % 8,
            field: input.byte() % 12,
            flags: input.byte(),
            adjustment: i8::from_le_bytes([input.byte()]),
            num_skip: input.byte() % 24,
            max: u16::from_le_bytes([input.byte(), input.byte()]),
        }
    }

    fn is_varint(self) -> bool {
        self.field >= 10
    }

    fn builder(self) -> Builder {
        let mut b = Codec::builder()
            .length_field_offset(usize::from(self.offset))
            .length_adjustment(isize::from(self.adjustment));
        b = if self.is_varint() {
            b.varint()
        } else {
            b.length_field_length(usize::from(self.field))
        };
        if self.flags & 1 != 0 {
            b = b.little_endian();
        }
        if self.flags & 2 != 0 {
            b = b.oversize(OversizePolicy::Skip);
        }
        if self.flags & 4 != 0 {
            b = b.num_skip(usize::from(self.num_skip));
        }
        if self.flags & 8 != 0 {
            b = b.max_frame_length(usize::from(self.max));
        }
        b
    }

    /// Bytes skipped before a frame with a header of `field_width` bytes.
    fn skip(self, field_width: usize) -> usize {
        if self.flags & 4 != 0 {
            usize::from(self.num_skip)
        } else {
            usize::from(self.offset) + field_width
        }
    }
}

/// Feeds `stream` in chunks with every decoder invariant checked (see
/// [`feed_in_chunks`](crate::testkit::feed_in_chunks)).
fn run(mut codec: Codec, stream: &[u8], sizes: &[usize]) -> Outcome {
    feed_in_chunks(&mut codec, stream, sizes)
}

fn frame_bytes(out: &Outcome) -> Vec<&[u8]> {
    out.frames.iter().map(|f| &f[..]).collect()
}

/// Target `decode`: arbitrary layout (valid or not), chunking and stream.
///
/// Oracles: building never panics; decoding never panics; the buffer stays within
/// [`capacity_bound`](crate::testkit::capacity_bound) and below `max_wire_length` while waiting; the stream in one chunk and in
/// the fuzzed chunks gives the same frames and errors; every frame, re-encoded with the same
/// layout, gives back the bytes its call consumed (its tail, when that call also finished
/// discarding an oversize frame).
pub fn decode(data: &[u8]) {
    let mut input = Input { rest: data };
    let layout = LayoutBytes::parse(&mut input);
    let sizes = input.schedule();
    let stream = input.rest;
    let Ok(codec) = layout.builder().build() else {
        return;
    };
    let whole = run(codec.clone(), stream, &[]);
    let chunked = run(codec.clone(), stream, &sizes);
    assert_eq!(
        frame_bytes(&whole),
        frame_bytes(&chunked),
        "frames depend on the cut"
    );
    assert_eq!(whole.errors, chunked.errors, "errors depend on the cut");

    for (frame, &(start, end)) in chunked.frames.iter().zip(&chunked.spans) {
        reencode_matches(&codec, layout, frame, &stream[start..end]);
    }
}

/// Re-encodes `frame` and checks it against the tail of `consumed`.
fn reencode_matches(codec: &Codec, layout: LayoutBytes, frame: &[u8], consumed: &[u8]) {
    // The frame's wire bytes end where the call ended; its header width is found by trying the
    // widths the field can have (one for fixed fields).
    let widths: Vec<usize> = if layout.is_varint() {
        (1..=10).collect()
    } else {
        vec![usize::from(layout.field)]
    };
    let offset = usize::from(layout.offset);
    let matched = widths.iter().any(|&width| {
        let header = offset + width;
        let skip = layout.skip(width);
        let Some(wire_len) = skip.checked_add(frame.len()) else {
            return false;
        };
        if wire_len > consumed.len() {
            return false;
        }
        let wire = &consumed[consumed.len() - wire_len..];
        // The frame keeps the header bytes after num_skip; the payload is what follows them.
        let payload = &frame[header.saturating_sub(skip).min(frame.len())..];
        let prefix = &wire[..offset.min(wire.len())];
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

/// Target `roundtrip`: arbitrary frames under an arbitrary layout, encoded, cut at arbitrary
/// points, decoded: the frames the layout defines, in order, and nothing else.
pub fn roundtrip(data: &[u8]) {
    let mut input = Input { rest: data };
    let layout = LayoutBytes::parse(&mut input);
    let sizes = input.schedule();
    let Ok(codec) = layout.builder().build() else {
        return;
    };
    let mut wire = BytesMut::new();
    let mut expected = Vec::new();
    let prefix = vec![0xA5; codec.prefix_len()];
    let gap = vec![0x5A; codec.gap_len()];
    while !input.rest.is_empty() {
        let len = usize::from(input.byte());
        let payload = input.take(len);
        let start = wire.len();
        match codec.encode_parts(&prefix, &gap, payload, &mut wire) {
            Ok(()) => {
                let frame = &wire[start..];
                // Independently of the decoder: everything after num_skip.
                let header = frame.len() - gap.len() - payload.len();
                let skip = layout.skip(header - prefix.len());
                expected.push(frame[skip..].to_vec());
            }
            Err(_) => assert_eq!(wire.len(), start, "a failed encode wrote bytes"),
        }
    }
    let out = run(codec, &wire, &sizes);
    assert!(
        out.errors.is_empty(),
        "errors on a valid stream: {:?}",
        out.errors
    );
    assert_eq!(frame_bytes(&out), expected, "frames differ from those sent");
}

/// Target `differential`: the same bytes, chunking and layout through lenframe and tokio-util's
/// `LengthDelimitedCodec`. Layouts are restricted to what both support with the same meaning:
/// fixed fields, the error policy, the default limit, and adjustments of zero or more (with a
/// negative adjustment tokio-util applies its limit to the raw field value, see README).
///
/// Frames must agree. Error-or-not must agree, except for the documented differences:
/// a frame that ends inside its header (lenframe: an error; tokio-util: header bytes as a frame,
/// or empty frames that consume nothing), after which nothing is compared; and a stream that
/// stops after a header (lenframe: truncated; tokio-util: a clean end that drops the frame).
pub fn differential(data: &[u8]) {
    use tokio_util::codec::{Decoder, LengthDelimitedCodec};

    let mut input = Input { rest: data };
    let mut layout = LayoutBytes::parse(&mut input);
    let sizes = input.schedule();
    let stream = input.rest;
    layout.field = 1 + layout.field % 8;
    layout.adjustment = i8::try_from(layout.adjustment.unsigned_abs() % 32).unwrap_or(0);
    layout.flags &= 1 | 4; // endianness and num_skip only
    let Ok(codec) = layout.builder().build() else {
        return;
    };
    let ours = run(codec, stream, &sizes);

    let mut b = LengthDelimitedCodec::builder();
    b.length_field_offset(usize::from(layout.offset))
        .length_field_length(usize::from(layout.field))
        .length_adjustment(isize::from(layout.adjustment));
    if layout.flags & 1 != 0 {
        b.little_endian();
    }
    if layout.flags & 4 != 0 {
        b.num_skip(usize::from(layout.num_skip));
    }
    let mut theirs = b.new_codec();
    let mut their_frames: Vec<Bytes> = Vec::new();
    let mut their_error = false;
    // tokio-util can return empty frames forever without consuming (the documented footgun):
    // bound the calls.
    let mut calls_left = 4 * stream.len() + 64;
    feed(stream, &sizes, |buf, at_eof, _| {
        if calls_left == 0 {
            return Step::Stop;
        }
        calls_left -= 1;
        let result = if at_eof {
            theirs.decode_eof(buf)
        } else {
            theirs.decode(buf)
        };
        match result {
            Ok(Some(frame)) => {
                their_frames.push(frame.freeze());
                Step::Again
            }
            Ok(None) => Step::More,
            Err(_) => {
                their_error = true;
                Step::Stop
            }
        }
    });

    let our_frames = frame_bytes(&ours);
    if let Some(DecodeError::FrameEndsInHeader { .. }) = ours.errors.last() {
        // Difference 1: compare the frames before it only.
        let n = our_frames.len().min(their_frames.len());
        assert_eq!(
            our_frames[..n],
            their_frames.iter().map(|f| &f[..]).collect::<Vec<_>>()[..n]
        );
        return;
    }
    assert_eq!(
        our_frames,
        their_frames.iter().map(|f| &f[..]).collect::<Vec<_>>(),
        "frames differ from tokio-util's"
    );
    let our_error = !ours.errors.is_empty();
    if our_error && !their_error {
        // Difference 2: tokio-util ends cleanly when the stream stops after a header it has
        // consumed, dropping the announced frame.
        assert!(
            matches!(
                ours.errors.last(),
                Some(DecodeError::TruncatedFrame { .. } | DecodeError::FrameTooLarge { .. })
            ),
            "lenframe errs ({:?}) where tokio-util does not",
            ours.errors
        );
        return;
    }
    assert_eq!(
        our_error, their_error,
        "tokio-util errs where lenframe does not"
    );
}

/// Target `reader`: `FrameReader` over a reader whose read sizes and `Interrupted` errors come
/// from the input gives the same frames and errors as the sans-IO decoder on the whole stream.
pub fn reader(data: &[u8]) {
    let mut input = Input { rest: data };
    let layout = LayoutBytes::parse(&mut input);
    let sizes = input.schedule();
    let interrupt_every = match input.byte() % 8 {
        1 => 0,
        n => usize::from(n),
    };
    let stream = input.rest;
    let Ok(codec) = layout.builder().build() else {
        return;
    };
    let expected = run(codec.clone(), stream, &[]);
    let scripted = ScriptedReader::new(stream.to_vec(), sizes, interrupt_every);
    let mut reader = FrameReader::with_codec(scripted, codec);
    let mut frames = Vec::new();
    let mut errors = Vec::new();
    // Each call returns a frame (consuming input), a recoverable error (consuming input), the
    // end, or a fatal error: bounded by the stream's length.
    for _ in 0..=2 * stream.len() + 2 {
        match reader.read_frame() {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => break,
            Err(e) => {
                let typed = typed_decode_error(&e);
                let fatal = typed.as_ref().is_none_or(DecodeError::is_fatal);
                errors.push(typed.unwrap_or_else(|| panic!("a scripted reader's error: {e}")));
                if fatal {
                    break;
                }
            }
        }
    }
    assert_eq!(
        frames.iter().map(|f| &f[..]).collect::<Vec<_>>(),
        frame_bytes(&expected),
        "FrameReader's frames differ from the decoder's"
    );
    assert_eq!(
        errors, expected.errors,
        "FrameReader's errors differ from the decoder's"
    );
}

fn typed_decode_error(e: &io::Error) -> Option<DecodeError> {
    e.get_ref()?.downcast_ref::<DecodeError>().cloned()
}
