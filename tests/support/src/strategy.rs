//! proptest strategies for lenframe's own tests: layouts, frame sequences, cut points and chunk
//! sizes.

use proptest::collection::vec;
use proptest::prelude::*;

use lenframe::{Builder, Codec, ConfigError, Endian, OversizePolicy};

/// The length field of a [`LayoutSpec`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldSpec {
    /// `length_field_length(width)` with a byte order.
    Fixed {
        /// Width in bytes (the builder accepts 1..=8).
        width: usize,
        /// Byte order.
        endian: Endian,
    },
    /// `varint()`.
    Varint,
}

/// A layout as plain data: every builder option, so a failing case prints (and shrinks) as the
/// options that produced it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LayoutSpec {
    /// `length_field_offset`.
    pub length_field_offset: usize,
    /// The length field.
    pub field: FieldSpec,
    /// `length_adjustment`.
    pub length_adjustment: isize,
    /// `num_skip`, if set.
    pub num_skip: Option<usize>,
    /// `max_frame_length`, if set.
    pub max_frame_length: Option<usize>,
    /// The oversize policy.
    pub oversize: OversizePolicy,
}

impl LayoutSpec {
    /// The builder calls this spec stands for.
    pub fn builder(&self) -> Builder {
        let mut b = Codec::builder()
            .length_field_offset(self.length_field_offset)
            .length_adjustment(self.length_adjustment)
            .oversize(self.oversize);
        b = match self.field {
            FieldSpec::Fixed { width, endian } => b.length_field_length(width).endian(endian),
            FieldSpec::Varint => b.varint(),
        };
        if let Some(skip) = self.num_skip {
            b = b.num_skip(skip);
        }
        if let Some(max) = self.max_frame_length {
            b = b.max_frame_length(max);
        }
        b
    }

    /// `self.builder().build()`.
    ///
    /// # Errors
    ///
    /// The builder's [`ConfigError`].
    pub fn build(&self) -> Result<Codec, ConfigError> {
        self.builder().build()
    }

    /// Writes a length field carrying `value`, independently of the codec (a test oracle):
    /// `None` when the field cannot carry it.
    pub fn write_field(&self, value: u64) -> Option<Vec<u8>> {
        match self.field {
            FieldSpec::Fixed { width, endian } => {
                if width < 8 && value >> (8 * width) != 0 {
                    return None;
                }
                let be = value.to_be_bytes();
                let mut field = be[8 - width..].to_vec();
                if endian == Endian::Little {
                    field.reverse();
                }
                Some(field)
            }
            FieldSpec::Varint => {
                let mut out = Vec::new();
                let mut rest = value;
                loop {
                    let group = u8::try_from(rest & 0x7f).expect("seven bits");
                    rest >>= 7;
                    if rest == 0 {
                        out.push(group);
                        return Some(out);
                    }
                    out.push(group | 0x80);
                }
            }
        }
    }
}

fn endian() -> impl Strategy<Value = Endian> {
    prop_oneof![
        Just(Endian::Big),
        Just(Endian::Little),
        Just(Endian::native())
    ]
}

fn field() -> impl Strategy<Value = FieldSpec> {
    prop_oneof![
        4 => (1usize..=8, endian()).prop_map(|(width, endian)| FieldSpec::Fixed { width, endian }),
        1 => Just(FieldSpec::Varint),
    ]
}

fn policy() -> impl Strategy<Value = OversizePolicy> {
    prop_oneof![Just(OversizePolicy::Error), Just(OversizePolicy::Skip)]
}

/// Every layout the builder accepts: all fixed widths, both byte orders, varint, offsets,
/// adjustments of both signs, `num_skip` unset, inside, at and past the header, small limits
/// (so that oversize frames are cheap to make) and the default, both oversize policies.
///
/// Parameters are drawn so that nearly all combinations build; the few that do not are
/// filtered out.
pub fn layout() -> impl Strategy<Value = LayoutSpec> {
    any_layout_spec().prop_filter("the builder accepts it", |spec| spec.build().is_ok())
}

/// Layouts including ones the builder rejects (field width 0 or 9, `num_skip` with a varint,
/// limits the field cannot express, ...), for configuration tests.
pub fn any_layout_spec() -> impl Strategy<Value = LayoutSpec> {
    let width_or_invalid = prop_oneof![
        9 => field(),
        1 => prop_oneof![Just(0usize), Just(9usize)]
            .prop_map(|width| FieldSpec::Fixed { width, endian: Endian::Big }),
    ];
    (
        0usize..=3,
        width_or_invalid,
        -6isize..=6,
        prop_oneof![2 => Just(None), 1 => (0usize..=14).prop_map(Some)],
        prop_oneof![1 => Just(None), 2 => (0usize..=300).prop_map(Some)],
        policy(),
    )
        .prop_map(
            |(
                length_field_offset,
                field,
                length_adjustment,
                num_skip,
                max_frame_length,
                oversize,
            )| {
                // A set num_skip with a varint is rejected; keep most varint layouts valid.
                let num_skip = match field {
                    FieldSpec::Varint if num_skip.is_some_and(|s| s % 5 != 0) => None,
                    _ => num_skip,
                };
                LayoutSpec {
                    length_field_offset,
                    field,
                    length_adjustment,
                    num_skip,
                    max_frame_length,
                    oversize,
                }
            },
        )
}

/// One frame to encode: the caller-supplied parts and the payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FramePlan {
    /// The `length_field_offset` bytes before the length field.
    pub prefix: Vec<u8>,
    /// The bytes between the length field and `num_skip`.
    pub gap: Vec<u8>,
    /// The payload.
    pub payload: Vec<u8>,
}

/// The payload lengths `codec` can encode, up to `cap`: an interval, as the length field's value
/// grows with the payload. Its shortest is found among 0 to 64, its longest by bisection up to
/// the limit or `cap`, wherever the field's range ends below them.
pub fn payload_range(codec: &Codec, cap: usize) -> Option<(usize, usize)> {
    let encodes = |len: usize| codec.encode_header(len).is_ok();
    let lo = (0..=64).find(|&len| encodes(len))?;
    let top = codec.max_frame_length().min(cap).max(lo);
    if encodes(top) {
        return Some((lo, top));
    }
    // `lo` encodes and `top` does not: the longest lies in between.
    let (mut longest, mut refused) = (lo, top);
    while refused - longest > 1 {
        let mid = longest + (refused - longest) / 2;
        if encodes(mid) {
            longest = mid;
        } else {
            refused = mid;
        }
    }
    Some((lo, longest))
}

/// A layout from [`layout`] with a frame sequence from [`frames_for`] valid for it (payloads up
/// to `cap` bytes).
///
/// ```
/// use lenframe_support::strategy::layout_and_frames;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// let (spec, frames) = layout_and_frames(100).new_tree(&mut runner).unwrap().current();
/// let codec = spec.build()?;
/// let mut wire = bytes::BytesMut::new();
/// for frame in &frames {
///     codec.encode_parts(&frame.prefix, &frame.gap, &frame.payload, &mut wire)?;
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn layout_and_frames(cap: usize) -> impl Strategy<Value = (LayoutSpec, Vec<FramePlan>)> {
    layout().prop_flat_map(move |spec| {
        let codec = spec.build().expect("layout() only yields valid layouts");
        (Just(spec), frames_for(&codec, cap))
    })
}

/// Cases for a property: `PROPTEST_CASES` when set (so CI can scale every property at once),
/// else `default`.
#[must_use]
pub fn cases_or(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Sequences of 0 to 8 frames valid for `codec`: empty payloads where the layout allows them,
/// payloads of exactly the longest length (when the limit is small), and sizes in between
/// (at most `cap` bytes).
pub fn frames_for(codec: &Codec, cap: usize) -> BoxedStrategy<Vec<FramePlan>> {
    let Some((lo, hi)) = payload_range(codec, cap) else {
        return Just(Vec::new()).boxed();
    };
    let len = prop_oneof![Just(lo), Just(hi), lo..=hi];
    let plan = (
        vec(any::<u8>(), codec.prefix_len()),
        vec(any::<u8>(), codec.gap_len()),
        len.prop_flat_map(|n| vec(any::<u8>(), n)),
    )
        .prop_map(|(prefix, gap, payload)| FramePlan {
            prefix,
            gap,
            payload,
        });
    vec(plan, 0..8).boxed()
}

/// Where to cut a stream of `len` bytes: sorted, distinct positions in `1..len`, each the start
/// of a new chunk. One of: no cut (the stream in one piece), a few random cuts, many random cuts,
/// or a cut after every byte. Whether to cut is drawn for each position on its own, so a failing
/// case shrinks cut by cut, to cuts that are all needed (removing any one passes).
///
/// [`chunk_lengths`] turns the cuts into the chunk sizes [`feed`](crate::testkit::feed) and
/// [`feed_in_chunks`](crate::testkit::feed_in_chunks) take.
///
/// ```
/// use lenframe_support::strategy::{chunk_lengths, cuts};
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::deterministic();
/// for _ in 0..100 {
///     let at = cuts(10).new_tree(&mut runner).unwrap().current();
///     assert!(at.windows(2).all(|w| w[0] < w[1]) && at.iter().all(|&c| 0 < c && c < 10));
///     assert_eq!(chunk_lengths(&at, 10).iter().sum::<usize>(), 10);
/// }
/// ```
pub fn cuts(len: usize) -> BoxedStrategy<Vec<usize>> {
    if len < 2 {
        return Just(Vec::new()).boxed();
    }
    // Listed simplest first: proptest's unions shrink toward earlier alternatives.
    prop_oneof![
        1 => Just(Vec::new()),
        6 => random_cuts(len),
        2 => cut_each_with(len, 1.0),
    ]
    .boxed()
}

/// Random cuts of a stream of `len` bytes: sorted, distinct positions in `1..len`, each position
/// cut with probability 1/16 (a few cuts) or 1/2 (many). Shrinks cut by cut.
///
/// ```
/// use lenframe_support::strategy::{chunk_lengths, random_cuts};
/// use proptest::prelude::*;
///
/// proptest!(|(at in random_cuts(100))| {
///     prop_assert!(at.len() < 100);
///     prop_assert_eq!(chunk_lengths(&at, 100).len(), at.len() + 1);
/// });
/// ```
pub fn random_cuts(len: usize) -> BoxedStrategy<Vec<usize>> {
    if len < 2 {
        return Just(Vec::new()).boxed();
    }
    prop_oneof![cut_each_with(len, 1.0 / 16.0), cut_each_with(len, 0.5)].boxed()
}

/// Cuts of a stream of `len` (at least 2) bytes, each position cut with `probability`: a
/// boolean per position, each of which shrinks to "no cut" alone.
fn cut_each_with(len: usize, probability: f64) -> impl Strategy<Value = Vec<usize>> {
    vec(proptest::bool::weighted(probability), len - 1).prop_map(|cut| {
        (1..)
            .zip(cut)
            .filter_map(|(at, cut)| cut.then_some(at))
            .collect()
    })
}

/// Every cut of a stream of `len` bytes: `1, 2, .., len - 1` (the stream byte by byte).
///
/// ```
/// assert_eq!(lenframe_support::strategy::every_byte(4), [1, 2, 3]);
/// assert!(lenframe_support::strategy::every_byte(1).is_empty());
/// ```
#[must_use]
pub fn every_byte(len: usize) -> Vec<usize> {
    (1..len).collect()
}

/// The chunk sizes between `cuts` of a stream of `len` bytes, in order (cuts outside `1..len`,
/// repeated or out of order are ignored); none for an empty stream.
///
/// ```
/// assert_eq!(lenframe_support::strategy::chunk_lengths(&[2, 3], 9), [2, 1, 6]);
/// assert_eq!(lenframe_support::strategy::chunk_lengths(&[], 9), [9]);
/// ```
#[must_use]
pub fn chunk_lengths(cuts: &[usize], len: usize) -> Vec<usize> {
    let mut sizes = Vec::with_capacity(cuts.len() + 1);
    let mut start = 0;
    for &cut in cuts {
        if cut > start && cut < len {
            sizes.push(cut - start);
            start = cut;
        }
    }
    if len > start {
        sizes.push(len - start);
    }
    sizes
}

/// Chunk sizes for feeding a stream of any length: random sizes, single bytes, or everything at
/// once (`usize::MAX`). The feeder cycles through them. For a stream whose length is known when
/// the strategy is built, [`cuts`] says exactly where each chunk ends.
pub fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        vec(1usize..=64, 1..16),
        Just(vec![1]),
        Just(vec![usize::MAX]),
        vec(prop_oneof![Just(1usize), 1usize..=4096], 1..8),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    /// `n` values drawn from `strategy`, deterministically.
    fn draws<S: Strategy>(strategy: S, n: usize) -> Vec<S::Value> {
        let mut runner = TestRunner::deterministic();
        (0..n)
            .map(|_| strategy.new_tree(&mut runner).unwrap().current())
            .collect()
    }

    #[test]
    fn cuts_are_sorted_inside_the_stream_and_range_from_none_to_every_byte() {
        for len in [0, 1] {
            assert!(draws(cuts(len), 20).iter().all(Vec::is_empty));
            assert!(draws(random_cuts(len), 20).iter().all(Vec::is_empty));
        }
        assert!(draws(cuts(2), 50).contains(&vec![1]));
        assert!(draws(random_cuts(2), 50).contains(&vec![1]));
        let drawn = draws(cuts(40), 300);
        for at in &drawn {
            assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
            assert!(at.iter().all(|&c| 0 < c && c < 40), "{at:?}");
        }
        assert!(drawn.iter().any(Vec::is_empty), "no cut at all");
        assert!(drawn.contains(&every_byte(40)), "every byte");
        assert!(drawn.iter().any(|at| (1..8).contains(&at.len())), "a few");
        assert!(drawn.iter().any(|at| (12..30).contains(&at.len())), "many");
        for at in draws(random_cuts(40), 100) {
            assert!(at.iter().all(|&c| 0 < c && c < 40), "{at:?}");
        }
    }

    #[test]
    fn every_byte_and_chunk_lengths_follow_the_cuts() {
        assert_eq!(every_byte(4), [1, 2, 3]);
        assert!(every_byte(1).is_empty());
        assert_eq!(chunk_lengths(&[2, 3], 9), [2, 1, 6]);
        assert_eq!(chunk_lengths(&[], 9), [9]);
        // Outside the stream, repeated or out of order: ignored.
        assert_eq!(chunk_lengths(&[0, 4, 4, 2, 9, 12], 9), [4, 5]);
        assert_eq!(chunk_lengths(&[8], 9), [8, 1]);
        assert!(chunk_lengths(&[], 0).is_empty());
    }

    #[test]
    fn frames_are_drawn_from_the_payload_lengths_the_codec_encodes() {
        let codec = Codec::new();
        assert_eq!(payload_range(&codec, 100), Some((0, 100)));
        let small = Codec::builder().max_frame_length(10).build().unwrap();
        assert_eq!(payload_range(&small, 100), Some((0, 10)));
        // The field's value is the frame's length less 2: frames of 2 bytes or more.
        let adjusted = Codec::builder().length_adjustment(2).build().unwrap();
        assert_eq!(payload_range(&adjusted, 100), Some((2, 100)));
        // A frame that keeps 104 header bytes (offset 100, nothing skipped): the longest
        // payload ends 104 bytes under the limit, found exactly.
        let kept = Codec::builder()
            .length_field_offset(100)
            .num_skip(0)
            .max_frame_length(1000)
            .build()
            .unwrap();
        assert_eq!(payload_range(&kept, 5000), Some((0, 896)));
        assert_eq!(payload_range(&kept, 896), Some((0, 896)));
        assert_eq!(payload_range(&kept, 500), Some((0, 500)));
        let drawn = draws(frames_for(&codec, 100), 100);
        assert!(drawn.iter().any(|frames| frames.len() >= 4));
        assert!(drawn
            .iter()
            .flatten()
            .any(|frame| frame.payload.len() == 100));
    }

    #[test]
    fn layouts_cover_negative_adjustments_and_invalid_settings() {
        let specs = draws(any_layout_spec(), 3000);
        assert!(specs.iter().any(|s| s.length_adjustment < 0));
        assert!(specs.iter().any(|s| s.length_adjustment > 0));
        let errors: Vec<ConfigError> = specs.iter().filter_map(|s| s.build().err()).collect();
        assert!(errors
            .iter()
            .any(|e| matches!(e, ConfigError::VarintNumSkip { .. })));
        assert!(errors
            .iter()
            .any(|e| matches!(e, ConfigError::FieldLength { .. })));
        // Most varint layouts build: `num_skip` is kept for a few of them only.
        let varints: Vec<&LayoutSpec> = specs
            .iter()
            .filter(|s| s.field == FieldSpec::Varint)
            .collect();
        let valid = varints.iter().filter(|s| s.build().is_ok()).count();
        assert!(
            valid * 5 > varints.len() * 4,
            "{valid} of {}",
            varints.len()
        );
    }

    #[test]
    fn cases_come_from_the_environment_or_the_default() {
        let set = std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok());
        assert_eq!(cases_or(77), set.unwrap_or(77));
    }

    fn spec(field: FieldSpec) -> LayoutSpec {
        LayoutSpec {
            length_field_offset: 0,
            field,
            length_adjustment: 0,
            num_skip: None,
            max_frame_length: None,
            oversize: OversizePolicy::Error,
        }
    }

    #[test]
    fn a_length_field_is_written_in_its_width_order_and_form() {
        let fixed = |width, endian| spec(FieldSpec::Fixed { width, endian });
        assert_eq!(fixed(2, Endian::Big).write_field(0x0102), Some(vec![1, 2]));
        assert_eq!(
            fixed(3, Endian::Little).write_field(0x0102),
            Some(vec![2, 1, 0])
        );
        assert_eq!(fixed(1, Endian::Big).write_field(255), Some(vec![255]));
        assert_eq!(fixed(1, Endian::Big).write_field(256), None);
        assert_eq!(
            fixed(8, Endian::Big).write_field(u64::MAX),
            Some(vec![0xFF; 8])
        );
        assert_eq!(
            spec(FieldSpec::Varint).write_field(300),
            Some(vec![0xAC, 0x02])
        );
        assert_eq!(spec(FieldSpec::Varint).write_field(0), Some(vec![0]));
    }
}
