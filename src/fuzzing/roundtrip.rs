//! Target `roundtrip`: frames encoded under any layout, through the testkit's checker (the same
//! one users run on their decoders): exact frames in one piece and in the plan's chunks, cut
//! short at the plan's point, no stall, memory within its bound; and the encoder's limits.

use super::*;
use crate::testkit::{fallible, Checker};

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
    /// The longest payload the limit allows (up to 1 KiB): it must encode, and one byte more
    /// must be `EncodeError::FrameTooLarge`, writing nothing.
    Longest,
}

/// The layout's parts and payload range, and how each [`Payload`] is sent.
struct Sender {
    codec: Codec,
    prefix: Vec<u8>,
    gap: Vec<u8>,
    /// The shortest and the longest payload the layout can encode.
    range: (usize, usize),
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
        if matches!(payload, Payload::Longest) && self.range.1 < ROUNDTRIP_LONGEST {
            let start = dst.len();
            let over = [&bytes[..], &[0]].concat();
            let err = self.codec.encode_parts(&self.prefix, &self.gap, &over, dst);
            assert!(
                matches!(err, Err(EncodeError::FrameTooLarge { .. })),
                "a payload one byte over the longest gave {err:?}"
            );
            assert_eq!(dst.len(), start, "a failed encode wrote bytes");
        }
        if matches!(payload, Payload::Longest) {
            self.wrong_parts_refused(&bytes, dst);
        }
        self.codec
            .encode_parts(&self.prefix, &self.gap, &bytes, dst)
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
        frame_is(&self.codec, &self.prefix, &self.payload(payload), frame)
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
/// Oracles: the checker's ([`Checker::check_input`]: exact frames in one piece and in the
/// plan's chunks, truncation at the plan's point, liveness, memory within [`capacity_bound`]);
/// and the encoder's: every payload within the layout's range encodes, the longest one the limit
/// allows does and one byte more is [`EncodeError::FrameTooLarge`], writing nothing; a prefix
/// or gap one byte too long is [`EncodeError::PartsMismatch`], writing nothing.
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
    let Some(range) = crate::testkit::strategy::payload_range(&codec, ROUNDTRIP_LONGEST) else {
        return;
    };
    let sender = Sender {
        prefix: vec![0xA5; codec.prefix_len()],
        gap: vec![0x5A; codec.gap_len()],
        range,
        codec,
    };
    let decoder = || sender.codec.clone();
    let encode = fallible(|payload: &Payload, dst: &mut BytesMut| sender.send(payload, dst));
    let checker = Checker::arbitrary(decoder, encode)
        .compare(|payload: &Payload, frame: &Bytes| sender.decodes_to(payload, frame))
        .capacity_bound(capacity_bound);
    if let Err(failure) = checker.check_input(input.rest) {
        panic!("{failure}");
    }
}
