//! One case of a check, apart from its messages: a [`Plan`] says how the stream is cut, where a
//! reader is interrupted, where an async read is cancelled, where a writer is told to wait,
//! where the stream is cut short, how much junk a parser finds in front of its input, and the
//! seed of an encoder's random numbers. proptest draws plans and shrinks
//! them; a fuzzer's bytes are parsed into one ([`Plan::parse`]); a failure found either way is
//! written back as bytes ([`Plan::to_bytes`]).
//!
//! The byte format of a fuzz input is documented on [`Plan`].

use std::fmt;

use proptest::collection::vec;
use proptest::prelude::*;

/// Everything about a case but its messages: how the stream is cut, and what else happens to
/// it.
///
/// ```
/// use lenframe::testkit::Plan;
///
/// assert_eq!(Plan::default().cuts(10), Vec::<usize>::new()); // one piece
/// assert_eq!(Plan::every_byte().cuts(4), [1, 2, 3]);
/// let plan = Plan::at(&[2, 5]);
/// assert_eq!(plan.cuts(10), [2, 5]);
/// assert_eq!(plan.chunk_lengths(10), [2, 3, 5]);
/// assert_eq!(plan.to_string(), "cut at [2, 5]");
/// ```
///
/// # The byte format (version 1)
///
/// A fuzz input is a plan followed by the bytes the messages are drawn from. Missing bytes read
/// as zero, so every input means a case, the empty one included.
///
/// ```text
/// size  field
/// 1     n: how many chunk lengths follow (n % 16); writers: a `WouldBlock` before every w-th
///       write, w = n / 16 (0 and 1: never)
/// 2n    chunk lengths, u16 little-endian (0 is read as 1): the first chunks of the stream
/// 1     then: 0 = the rest of the stream in one chunk; k = the rest in chunks of k bytes
/// 1     reads: an `Interrupted` error before every k-th read or write (k % 16; 0 and 1:
///       never); async readers: c = reads / 16, the read in progress cancelled at its
///       `Pending` number c - 1 (c = 0: never)
/// 2     truncate, u16 little-endian: 0 = no truncation run; t = also decode the stream cut
///       short at (t - 1) % (its length) bytes, when that is inside a message
/// 1     junk: bytes of junk in front of the input a parser is given (0: no junk run)
/// 8     the encoder's seed, u64 little-endian
/// rest  the messages: proptest's `PassThrough` random source over these bytes (then 8 KiB of
///       pseudo-random bytes drawn from them, since past its data `PassThrough` gives zeros,
///       on which uniform sampling can loop for ever), for the message strategy; or
///       `arbitrary::Unstructured` over them, for `Arbitrary` messages; or, for the
///       any-stream check, the stream itself
/// ```
///
/// The plan's fields, in this order, with these meanings, are version 1 and are not reused. (The
/// cancel and `WouldBlock` points took the high halves of two bytes that version 1 read modulo
/// 16: an input of a decoder that is neither async nor a writer means what it meant.) The
/// messages an input means are what the message strategy draws from its bytes: changing the
/// strategy changes them, and so could a proptest release that changes how a strategy consumes
/// random bytes. A corpus that must keep its meaning pins its strategy and its proptest and
/// arbitrary versions (`Cargo.lock`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Plan {
    /// The first chunks' lengths, in order (0 is read as 1).
    pub chunks: Vec<usize>,
    /// After them: 0 for the rest of the stream in one chunk, else chunks of this many bytes.
    pub then_every: usize,
    /// Decoders that read from a `std::io::Read`, and writers: an `Interrupted` error before
    /// every k-th read or write (0 and 1: never).
    pub interrupt_every: usize,
    /// Async readers (`async_reader`, feature `tokio`): the read in progress is dropped when
    /// it returns its k-th `Pending` (counting from 0), and called again, as a `select!` branch
    /// that loses drops it. `None`: never.
    pub cancel_at: Option<usize>,
    /// Writers ([`Writer`]): a `WouldBlock` error (`Pending` for async writers) before every
    /// k-th write (0 and 1: never). The caller retries a write that would block.
    ///
    /// [`Writer`]: crate::testkit::Writer
    pub would_block_every: usize,
    /// Also decode the stream cut short here (modulo its length, and only when that falls
    /// inside a message). The property engine checks many such points whatever this says; a
    /// fuzz input checks this one.
    pub truncate: Option<usize>,
    /// Parsers: bytes of junk in front of the input in the junk run (0: no junk run).
    pub junk: usize,
    /// The seed of the random numbers an encoder draws ([`Encoder::randomized`],
    /// [`Encoder::seeded`]).
    ///
    /// [`Encoder::randomized`]: crate::testkit::Encoder::randomized
    /// [`Encoder::seeded`]: crate::testkit::Encoder::seeded
    pub seed: u64,
}

/// The most chunk lengths a plan's bytes hold.
const MAX_CHUNK_LENGTHS: usize = 15;

impl Plan {
    /// The stream cut at these positions (sorted; a position not after the previous one is
    /// ignored), then the rest in one chunk.
    #[must_use]
    pub fn at(cuts: &[usize]) -> Plan {
        let mut chunks = Vec::with_capacity(cuts.len());
        let mut start = 0;
        for &cut in cuts {
            if cut > start {
                chunks.push(cut - start);
                start = cut;
            }
        }
        Plan {
            chunks,
            ..Plan::default()
        }
    }

    /// The stream one byte at a time.
    #[must_use]
    pub fn every_byte() -> Plan {
        Plan {
            then_every: 1,
            ..Plan::default()
        }
    }

    /// The chunk lengths for a stream of `len` bytes, in order; none for an empty stream.
    #[must_use]
    pub fn chunk_lengths(&self, len: usize) -> Vec<usize> {
        // Allocated once: a stream cut after every byte has as many chunks as bytes.
        let most = match self.then_every {
            0 => self.chunks.len() + 1,
            every => self.chunks.len() + len.div_ceil(every),
        };
        let mut out = Vec::with_capacity(most.min(len));
        let mut left = len;
        for &length in &self.chunks {
            if left == 0 {
                return out;
            }
            let n = length.max(1).min(left);
            out.push(n);
            left -= n;
        }
        while left > 0 {
            let n = match self.then_every {
                0 => left,
                every => every.min(left),
            };
            out.push(n);
            left -= n;
        }
        out
    }

    /// Where a stream of `len` bytes is cut: the positions, in `1..len`, where a chunk starts.
    #[must_use]
    pub fn cuts(&self, len: usize) -> Vec<usize> {
        let mut at = 0;
        let mut cuts = Vec::new();
        for n in self.chunk_lengths(len) {
            if at > 0 {
                cuts.push(at);
            }
            at += n;
        }
        cuts
    }

    /// Parses a plan off the front of `data` (the format is above); returns it and the bytes
    /// after it, the messages' bytes.
    ///
    /// ```
    /// use lenframe::testkit::Plan;
    ///
    /// let input = [2, 3, 0, 5, 0, 0, 4, 0, 0, 7, 1, 0, 0, 0, 0, 0, 0, 0, 0xAB];
    /// let (plan, messages) = Plan::parse(&input);
    /// assert_eq!((plan.chunks.as_slice(), plan.then_every), (&[3, 5][..], 0));
    /// assert_eq!((plan.interrupt_every, plan.truncate), (4, None));
    /// assert_eq!((plan.junk, plan.seed), (7, 1));
    /// assert_eq!(messages, [0xAB]);
    /// assert_eq!(plan.to_bytes(), input[..input.len() - 1]);
    /// ```
    #[must_use]
    pub fn parse(data: &[u8]) -> (Plan, &[u8]) {
        let mut bytes = Input::new(data);
        let count_byte = bytes.u8();
        let count = usize::from(count_byte % 16);
        let would_block_every = usize::from(count_byte / 16);
        let chunks = (0..count).map(|_| usize::from(bytes.u16())).collect();
        let then_every = usize::from(bytes.u8());
        let reads = bytes.u8();
        let interrupt_every = usize::from(reads % 16);
        let cancel_at = usize::from(reads / 16).checked_sub(1);
        let truncate = match bytes.u16() {
            0 => None,
            t => Some(usize::from(t - 1)),
        };
        let junk = usize::from(bytes.u8());
        let seed = u64::from_le_bytes(bytes.array());
        let plan = Plan {
            chunks,
            then_every,
            interrupt_every,
            cancel_at,
            would_block_every,
            truncate,
            junk,
            seed,
        };
        (plan, bytes.rest())
    }

    /// The bytes [`Plan::parse`] reads this plan from. What the format cannot hold is clamped:
    /// at most 15 chunk lengths of at most 65 535 bytes, `then_every` and `junk` at most 255,
    /// `interrupt_every` and `would_block_every` at most 15, `cancel_at` at most 14, `truncate`
    /// at most 65 534.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let clamp = |n: usize, max: u16| u16::try_from(n).unwrap_or(max).min(max);
        let byte = |n: usize, max: u8| u8::try_from(n).unwrap_or(max).min(max);
        let chunks = &self.chunks[..self.chunks.len().min(MAX_CHUNK_LENGTHS)];
        let mut out = Vec::with_capacity(14 + 2 * chunks.len());
        out.push(byte(chunks.len(), 15) | byte(self.would_block_every, 15) << 4);
        for &length in chunks {
            out.extend_from_slice(&clamp(length, u16::MAX).to_le_bytes());
        }
        out.push(byte(self.then_every, u8::MAX));
        let cancel = self.cancel_at.map_or(0, |at| byte(at, 14) + 1);
        out.push(byte(self.interrupt_every, 15) | cancel << 4);
        let truncate = self.truncate.map_or(0, |t| clamp(t, u16::MAX - 1) + 1);
        out.extend_from_slice(&truncate.to_le_bytes());
        out.push(byte(self.junk, u8::MAX));
        out.extend_from_slice(&self.seed.to_le_bytes());
        out
    }

    /// The same plan with its chunks the explicit `cuts` of a stream.
    pub(crate) fn with_cuts(&self, cuts: &[usize]) -> Plan {
        Plan {
            chunks: Plan::at(cuts).chunks,
            then_every: 0,
            ..self.clone()
        }
    }
}

/// The plan in words: its cuts (as far as they go without a stream's length), and what else it
/// does.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut at = 0;
        let cuts: Vec<usize> = self
            .chunks
            .iter()
            .map(|&n| {
                at += n.max(1);
                at
            })
            .collect();
        match (cuts.is_empty(), self.then_every) {
            (true, 0) => write!(f, "one piece")?,
            (true, every) => write!(f, "cut every {every} bytes")?,
            (false, 0) => write!(f, "cut at {cuts:?}")?,
            (false, every) => write!(f, "cut at {cuts:?}, then every {every} bytes")?,
        }
        if self.interrupt_every >= 2 {
            write!(
                f,
                ", Interrupted before every read number {}",
                self.interrupt_every
            )?;
        }
        if self.would_block_every >= 2 {
            write!(
                f,
                ", WouldBlock before every write number {}",
                self.would_block_every
            )?;
        }
        if let Some(at) = self.cancel_at {
            write!(f, ", the read cancelled at its Pending number {at}")?;
        }
        if let Some(at) = self.truncate {
            write!(f, ", cut short at byte {at}")?;
        }
        if self.junk > 0 {
            write!(f, ", {} bytes of junk first", self.junk)?;
        }
        Ok(())
    }
}

/// A forward-only reader over bytes; reads past the end give zeros.
pub(crate) struct Input<'a> {
    rest: &'a [u8],
}

impl<'a> Input<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Input<'a> {
        Input { rest: data }
    }

    pub(crate) fn u8(&mut self) -> u8 {
        match self.rest.split_first() {
            Some((&b, rest)) => {
                self.rest = rest;
                b
            }
            None => 0,
        }
    }

    pub(crate) fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        for byte in &mut out {
            *byte = self.u8();
        }
        out
    }

    pub(crate) fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.array())
    }

    pub(crate) fn rest(self) -> &'a [u8] {
        self.rest
    }
}

/// The next number of a splitmix64 sequence: how the checker spreads one seed into many (per
/// case, per source, a random tail), the same everywhere.
pub(crate) fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of `bytes`: a stable name or seed for an input.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What a subject does with a plan's fields beyond its cuts: only those are drawn, so that a
/// plain decoder's plans (and the cases and reports drawn from a seed) do not change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Draws {
    /// The subject is an async reader: draw a cancel point.
    pub(crate) cancels: bool,
    /// The subject is a writer: draw `WouldBlock` errors.
    pub(crate) would_block: bool,
}

/// Plans for the property engine: the stream in one piece, byte by byte, or random chunk
/// lengths (mostly short, so that cuts fall in headers) with the rest in one chunk or in chunks
/// of 1 to 16 bytes; `Interrupted` every 2nd to 4th read or never; junk of 1 to 16 bytes or
/// none; any seed; as `draws` says, a cancel point among the first 8 `Pending`s or none, and a
/// `WouldBlock` every 2nd to 4th write or never. Every plan fits the byte format, and shrinks
/// toward fewer, shorter chunks. The property engine checks truncation at many points of every
/// case, so `truncate` is `None`.
pub(crate) fn plans(draws: Draws) -> impl Strategy<Value = Plan> {
    // Listed simplest first: proptest's unions shrink toward earlier alternatives.
    let chunking = prop_oneof![
        1 => Just((Vec::new(), 0usize)),
        2 => Just((Vec::new(), 1usize)),
        6 => (
            vec(prop_oneof![3 => 1usize..=8, 1 => 1usize..=64], 1..=MAX_CHUNK_LENGTHS),
            prop_oneof![2 => Just(0usize), 1 => 1usize..=16],
        ),
    ];
    let base = (
        chunking,
        prop_oneof![Just(0usize), 2usize..=4],
        prop_oneof![1 => Just(0usize), 3 => 1usize..=16],
        any::<u64>(),
    )
        .prop_map(|((chunks, then_every), interrupt_every, junk, seed)| Plan {
            chunks,
            then_every,
            interrupt_every,
            cancel_at: None,
            would_block_every: 0,
            truncate: None,
            junk,
            seed,
        });
    // Drawn after the rest, so that the rest is drawn as for a plain decoder.
    let cancel = if draws.cancels {
        prop_oneof![Just(None), (0usize..8).prop_map(Some)].boxed()
    } else {
        Just(None).boxed()
    };
    let would_block = if draws.would_block {
        prop_oneof![Just(0usize), 2usize..=4].boxed()
    } else {
        Just(0usize).boxed()
    };
    (base, cancel, would_block).prop_map(|(plan, cancel_at, would_block_every)| Plan {
        cancel_at,
        would_block_every,
        ..plan
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    #[test]
    fn what_the_format_cannot_hold_is_clamped() {
        let plan = Plan {
            chunks: vec![70_000; 20],
            then_every: 300,
            interrupt_every: 40,
            cancel_at: Some(99),
            would_block_every: 99,
            truncate: Some(100_000),
            junk: 1000,
            seed: 5,
        };
        let bytes = plan.to_bytes();
        let (parsed, rest) = Plan::parse(&bytes);
        assert!(rest.is_empty());
        assert_eq!(
            parsed,
            Plan {
                chunks: vec![65_535; MAX_CHUNK_LENGTHS],
                then_every: 255,
                interrupt_every: 15,
                cancel_at: Some(14),
                would_block_every: 15,
                truncate: Some(65_534),
                junk: 255,
                seed: 5,
            }
        );
    }

    #[test]
    fn a_plan_survives_its_bytes() {
        let mut runner = TestRunner::deterministic();
        let draws = Draws {
            cancels: true,
            would_block: true,
        };
        for _ in 0..500 {
            let plan = plans(draws).new_tree(&mut runner).unwrap().current();
            let bytes = plan.to_bytes();
            let (parsed, rest) = Plan::parse(&bytes);
            assert_eq!(parsed, plan);
            assert!(rest.is_empty());
        }
        let truncated = Plan {
            truncate: Some(0),
            ..Plan::default()
        };
        assert_eq!(Plan::parse(&truncated.to_bytes()).0, truncated);
    }

    #[test]
    fn a_plain_decoders_plans_are_drawn_as_before_the_new_fields() {
        // The fields drawn for async readers and writers come last: a plain decoder's plans,
        // from a seed, are what they were.
        use proptest::test_runner::{Config, RngAlgorithm, TestRng};
        let runner = |case: u8| {
            let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[case; 32]);
            TestRunner::new_with_rng(Config::default(), rng)
        };
        let all = Draws {
            cancels: true,
            would_block: true,
        };
        for case in 0..100 {
            let a = plans(Draws::default())
                .new_tree(&mut runner(case))
                .unwrap()
                .current();
            let b = plans(all).new_tree(&mut runner(case)).unwrap().current();
            assert_eq!(
                a,
                Plan {
                    cancel_at: None,
                    would_block_every: 0,
                    ..b
                }
            );
        }
    }

    #[test]
    fn no_bytes_is_the_simplest_plan() {
        assert_eq!(Plan::parse(&[]), (Plan::default(), &[][..]));
        assert!(Plan::default().chunk_lengths(5) == [5]);
    }

    #[test]
    fn chunk_lengths_cover_the_stream_exactly() {
        let plan = Plan {
            chunks: vec![0, 2, 100],
            then_every: 3,
            ..Plan::default()
        };
        assert_eq!(plan.chunk_lengths(2), [1, 1]);
        assert_eq!(plan.chunk_lengths(5), [1, 2, 2]);
        let cut_every_3 = Plan {
            chunks: vec![1],
            then_every: 3,
            ..Plan::default()
        };
        assert_eq!(cut_every_3.chunk_lengths(8), [1, 3, 3, 1]);
        assert_eq!(cut_every_3.cuts(8), [1, 4, 7]);
        assert!(Plan::default().chunk_lengths(0).is_empty());
        assert_eq!(Plan::at(&[3, 3, 1, 7]).chunks, [3, 4]);
    }

    #[test]
    fn a_plan_says_what_it_does() {
        let plan = Plan {
            chunks: vec![1, 2],
            then_every: 4,
            interrupt_every: 3,
            cancel_at: Some(1),
            would_block_every: 2,
            truncate: Some(9),
            junk: 2,
            seed: 0,
        };
        assert_eq!(
            plan.to_string(),
            "cut at [1, 3], then every 4 bytes, Interrupted before every read number 3, \
             WouldBlock before every write number 2, the read cancelled at its Pending number \
             1, cut short at byte 9, 2 bytes of junk first"
        );
        assert_eq!(Plan::every_byte().to_string(), "cut every 1 bytes");
        assert_eq!(Plan::default().to_string(), "one piece");
    }
}
