//! Target `roundtrip`: frames encoded under any layout, through the testkit's checker (the same
//! one users run on their decoders): exact frames in one piece and in the plan's chunks, cut
//! short at the plan's point, no stall, memory within its bound; and the encoder's limits.

use super::reference::{field_value, read_field, Reading};
use super::*;
use std::rc::Rc;

use lenframe::testkit::{Checker, Decoder, Encoder};

/// The longest payload a `Longest` frame asks for, when the limit allows more.
const ROUNDTRIP_LONGEST: usize = 1024;
/// Payload bytes for `Longest`: 0, 1, 2, ... wrapping.
static PATTERN: [u8; ROUNDTRIP_LONGEST + 1] = {
    let mut pattern = [0u8; ROUNDTRIP_LONGEST + 1];
    let mut i = 0;
    while i < pattern.len() {
        // Truncation intended: the pattern wraps at 256.
        pattern[i] = i as u8;
        i += 1;
    }
    pattern
};
/// Layouts needing more prefix or gap bytes than this per frame (extreme offsets or `num_skip`)
/// are not round-tripped.
const ROUNDTRIP_PARTS_CAP: usize = 64;
/// Most frames a roundtrip input's messages hold: what `Checker::arbitrary` takes from a fuzz
/// input.
const ROUNDTRIP_FRAMES: usize = 64;

/// One frame to send, as the message bytes of an input mean it (`arbitrary`).
#[derive(Clone, Debug, arbitrary::Arbitrary)]
pub enum Payload {
    /// These bytes, cut to the longest payload the layout allows, padded to the shortest.
    Bytes(Vec<u8>),
    /// The longest payload the limit allows (up to 1 KiB). It and the other edges of what the
    /// layout carries (one byte more; the shortest payload, and one byte less) must encode, or
    /// fail writing nothing, as the reference works out (`fuzzing::reference::field_value`).
    Longest,
}

/// The layout's parts and payload range, and how each [`Payload`] is sent.
struct Sender {
    codec: Codec,
    layout: LayoutBytes,
    prefix: Vec<u8>,
    gap: Vec<u8>,
    /// The shortest and the longest payload the layout can encode.
    range: (usize, usize),
    /// The edges of the range and the wrong parts were tried (on the first `Longest`).
    edges_checked: std::cell::Cell<bool>,
}

impl Sender {
    /// The payload `payload` stands for under this layout.
    fn payload<'a>(&self, payload: &'a Payload) -> std::borrow::Cow<'a, [u8]> {
        let (lo, hi) = self.range;
        let bytes: &[u8] = match payload {
            Payload::Bytes(bytes) => bytes,
            Payload::Longest => &PATTERN[..hi.min(ROUNDTRIP_LONGEST)],
        };
        let bytes = &bytes[..bytes.len().min(hi)];
        if bytes.len() >= lo {
            bytes.into()
        } else {
            let mut padded = bytes.to_vec();
            padded.resize(lo, 0x33);
            padded.into()
        }
    }

    /// Encodes `payload`, checking the encoder's limits on the way.
    fn send(&self, payload: &Payload, dst: &mut BytesMut) -> Result<(), EncodeError> {
        let bytes = self.payload(payload);
        // The encoder's edges and parts are the layout's: checked once per input.
        if matches!(payload, Payload::Longest) && !self.edges_checked.replace(true) {
            self.edges_agree();
            self.wrong_parts_refused(&bytes, dst);
        }
        self.codec
            .encode_parts(&self.prefix, &self.gap, &bytes, dst)
    }

    /// The encoder at the edges of what the layout carries: one byte under the shortest
    /// payload, the shortest, the longest and one byte over, each encoded alone and held to the
    /// reference ([`field_value`], worked out apart from the codec): the same error with the
    /// same numbers, writing nothing, or a header whose length field, read back by the
    /// reference ([`read_field`]), carries the value it works out; [`Codec::encode_header`]
    /// gives that field's bytes alone, or the same error.
    fn edges_agree(&self) {
        let (lo, hi) = self.range;
        let max = self.codec.max_frame_length();
        let mut out = BytesMut::new();
        for len in [lo.checked_sub(1), Some(lo), Some(hi), Some(hi + 1)]
            .into_iter()
            .flatten()
        {
            // PATTERN holds one byte more than the longest payload.
            let payload = &PATTERN[..len];
            out.clear();
            let encoded = self
                .codec
                .encode_parts(&self.prefix, &self.gap, payload, &mut out);
            let expected = field_value(self.layout, max, len);
            let read = read_field(self.layout, &out);
            // The header alone (for vectored writes) is the field `encode_parts` wrote, or the
            // same error.
            let header = self.codec.encode_header(len);
            let at = self.prefix.len();
            let agrees = match (&encoded, &expected, &header) {
                (Ok(()), Ok(value), Ok(header)) => {
                    matches!(read, Reading::Value { value: field, width }
                        if field == *value
                            && header.len() == width
                            && out.get(at..at + width) == Some(header.as_ref()))
                }
                (Err(error), Err(reference), Err(alone)) => {
                    error == reference && alone == reference && out.is_empty()
                }
                _ => false,
            };
            assert!(
                agrees,
                "a payload of {len} bytes (the layout carries {lo} to {hi}) encoded as \
                 {encoded:?}, {} bytes written, its length field read back as {read:?}, \
                 encode_header gave {header:?}; the reference works out {expected:?}",
                out.len()
            );
        }
    }

    /// A prefix or a gap one byte longer than the layout's is refused, naming the part and both
    /// lengths, and writes nothing.
    fn wrong_parts_refused(&self, payload: &[u8], dst: &mut BytesMut) {
        let start = dst.len();
        let (prefix, gap) = (self.prefix.len(), self.gap.len());
        for (part, expected, prefix_len, gap_len) in [
            ("prefix", prefix, prefix + 1, gap),
            ("gap", gap, prefix, gap + 1),
        ] {
            // PATTERN is longer than ROUNDTRIP_PARTS_CAP + 1.
            let err =
                self.codec
                    .encode_parts(&PATTERN[..prefix_len], &PATTERN[..gap_len], payload, dst);
            let got = expected + 1;
            assert_eq!(
                err,
                Err(EncodeError::PartsMismatch {
                    part,
                    expected,
                    got
                }),
                "a {part} of {got} bytes where the layout has {expected}"
            );
            assert_eq!(dst.len(), start, "a failed encode wrote bytes");
        }
    }

    /// Whether `frame` is what decoding `payload`'s frame returns ([`frame_is`]).
    fn decodes_to(&self, payload: &Payload, frame: &[u8]) -> bool {
        frame_is(
            self.layout,
            &self.codec,
            &self.prefix,
            &self.payload(payload),
            frame,
        )
    }
}

/// Target `roundtrip`: arbitrary frames under an arbitrary layout, encoded, checked by the
/// testkit's checker.
///
/// ```text
/// layout (7 bytes, lenframe::fuzzing's format), then a testkit input (testkit::case): its
/// plan, then the frames as `arbitrary` `Payload`s (up to 64)
/// ```
///
/// Oracles: the checker's ([`Checker::fuzz`]: exact frames in one piece and in the
/// plan's chunks, truncation at the plan's point, liveness, memory within [`capacity_bound`]);
/// and the encoder's: every payload within the layout's range encodes; at the range's edges
/// (one byte under the shortest payload, the shortest, the longest the limit allows and one
/// byte over) the encoder does what a reference worked out apart from the codec says
/// (`fuzzing::reference::field_value`): the same [`EncodeError`] with the same numbers,
/// writing nothing, or the length field it works out, read back by the reference (and
/// [`Codec::encode_header`] alone: the same field's bytes, or the same error); a prefix or
/// gap one byte too long is [`EncodeError::PartsMismatch`], writing nothing.
pub fn roundtrip(data: &[u8]) {
    // The stream: at most 64 frames, each at most 1 KiB or the input's length.
    let frame_cap = data.len().max(ROUNDTRIP_LONGEST) + 2 * ROUNDTRIP_PARTS_CAP + 10;
    let _limit = AllocationLimit::set(lenframe_allocations(
        ROUNDTRIP_FRAMES * frame_cap,
        data.len(),
    ));
    let mut input = Input::new(data);
    let layout = LayoutBytes::parse(&mut input);
    let Ok(codec) = layout.builder().build() else {
        return;
    };
    if codec.prefix_len() > ROUNDTRIP_PARTS_CAP || codec.gap_len() > ROUNDTRIP_PARTS_CAP {
        return;
    }
    let Some(range) = crate::strategy::payload_range(&codec, ROUNDTRIP_LONGEST) else {
        return;
    };
    let sender = Rc::new(Sender {
        prefix: vec![0xA5; codec.prefix_len()],
        gap: vec![0x5A; codec.gap_len()],
        range,
        codec,
        layout,
        edges_checked: std::cell::Cell::new(false),
    });
    let (decoding, sending) = (Rc::clone(&sender), Rc::clone(&sender));
    let encode =
        Encoder::fallible(move |payload: &Payload, dst: &mut BytesMut| sending.send(payload, dst));
    let decoder = Decoder::from(move || decoding.codec.clone()).map(Judged::by(
        move |payload: &Payload, frame| sender.decodes_to(payload, frame),
    ));
    Checker::arbitrary(decoder, encode)
        .capacity_bound(capacity_bound)
        .fuzz(input.rest);
}
