//! `FrameReader` reads in place: frames are views of the block a read landed in (no copy), a
//! frame the caller holds never changes while the reader reads on, and once the caller drops
//! its frames the reader reads into the same memory again (no allocation, no zeroing).

use std::io;
use std::sync::mpsc;
use std::thread;

use bytes::Bytes;
use lenframe::io::FrameReader;
use lenframe::testkit::{ChunkedReader, IoOp};
use lenframe::MAX_READ_AHEAD;
use proptest::collection::vec;
use proptest::prelude::*;

use lenframe_support::default_framing::encoded;

/// Payload `i` of a stream: its length and bytes differ from its neighbours', so a frame that
/// shows another frame's bytes, or bytes read later, fails the comparison.
fn payload(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|j| (i * 31 + j * 7 + 1) as u8).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(lenframe_support::strategy::cases_or(256)))]

    /// Generators: payload lengths up to 3 KiB and past 64 KiB (a frame larger than a read, so
    /// that blocks grow), which frames the caller keeps (the others are dropped at once, so the
    /// reader may read into their memory again), and `testkit::short_io` read sizes with
    /// `Interrupted`. Every kept frame still holds its own bytes at the end, after the reader
    /// read everything after it.
    #[test]
    fn kept_frames_never_change_while_the_reader_reads_on(
        lens in vec(prop_oneof![8 => 0usize..3_000, 1 => 60_000usize..140_000], 1..40),
        keep in vec(any::<bool>(), 40),
        reads in IoOp::short(9_000),
    ) {
        let payloads: Vec<_> = lens.iter().enumerate().map(|(i, &len)| payload(i, len)).collect();
        let wire = encoded(&payloads);
        let mut reader = FrameReader::new(ChunkedReader::new(&wire[..], reads));
        let mut kept = Vec::new();
        for (i, expected) in payloads.iter().enumerate() {
            let frame = reader.read_frame().unwrap().expect("a frame");
            prop_assert!(frame == expected[..], "frame {} as read", i);
            if keep[i] {
                kept.push((i, frame));
            }
        }
        prop_assert_eq!(reader.read_frame().unwrap(), None);
        for (i, frame) in kept {
            prop_assert!(frame == payloads[i][..], "kept frame {} changed", i);
        }
    }
}

#[test]
fn frames_from_one_read_are_views_of_one_block() {
    let payloads: Vec<_> = (0..3).map(|i| payload(i, 10)).collect();
    let wire = encoded(&payloads);
    let mut reader = FrameReader::new(&wire[..]);
    let frames: Vec<Bytes> = (0..3)
        .map(|_| reader.read_frame().unwrap().unwrap())
        .collect();
    for pair in frames.windows(2) {
        // Each frame starts 4 header bytes after the previous one ends: no copy.
        assert_eq!(
            pair[0].as_ptr() as usize + 10 + 4,
            pair[1].as_ptr() as usize
        );
    }
}

#[test]
fn once_frames_are_dropped_the_reader_reads_into_the_same_memory() {
    let payloads: Vec<_> = (0..2_000).map(|i| payload(i, 1_000)).collect();
    let wire = encoded(&payloads);
    // 1 000-byte reads: one frame's worth per read, so every frame needs a read of its own.
    let reads = vec![lenframe::testkit::IoOp::Limit(1_000)];
    let mut reader = FrameReader::new(ChunkedReader::new(&wire[..], reads));
    let allocated_before = counting::allocated_on_this_thread();
    let (mut lowest, mut highest) = (usize::MAX, 0);
    for expected in &payloads {
        let frame = reader.read_frame().unwrap().expect("a frame");
        assert!(frame == expected[..]);
        lowest = lowest.min(frame.as_ptr() as usize);
        highest = highest.max(frame.as_ptr() as usize + frame.len());
    }
    let allocated = counting::allocated_on_this_thread() - allocated_before;
    // 2 MB went through one block of at most twice a read and a frame: every frame lies in it.
    let capacity = reader.buffer_capacity();
    assert!(capacity <= 2 * (1_004 + 8 * 1024), "capacity {capacity}");
    assert!(
        highest - lowest <= capacity,
        "frames spread over {} bytes",
        highest - lowest
    );
    // What the reader allocated: its block once, and one small view per read (the frames'
    // `Bytes` owner). A reader that took a new block each time its block filled up, instead of
    // reading into it again, allocates megabytes (planted); one that copied what arrives into
    // new memory would allocate at least the 2 MB.
    assert!(
        allocated < wire.len() / 8,
        "{allocated} bytes allocated to read {} bytes",
        wire.len()
    );
}

/// A global allocator that counts the bytes each thread allocates (tests run on threads of
/// their own, side by side), so that a test can show what the reader allocates.
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;

    thread_local! {
        static ALLOCATED: Cell<usize> = const { Cell::new(0) };
    }

    /// Bytes allocated on this thread so far (reallocations count their new size).
    pub fn allocated_on_this_thread() -> usize {
        ALLOCATED.with(Cell::get)
    }

    fn count(bytes: usize) {
        // `try_with`: a thread being torn down has no counter left; its allocations go uncounted.
        let _ = ALLOCATED.try_with(|allocated| allocated.set(allocated.get() + bytes));
    }

    struct Counting;

    // SAFETY: every method counts, then forwards to `System` with the caller's arguments
    // unchanged, so `System`'s guarantees hold as they are. Counting does not allocate (a
    // `const`-initialized thread-local `Cell` without a destructor).
    #[allow(unsafe_code)]
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            count(layout.size());
            // SAFETY: the caller's contract for `alloc`, passed on unchanged.
            unsafe { System.alloc(layout) }
        }

        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            count(layout.size());
            // SAFETY: as in `alloc`.
            unsafe { System.alloc_zeroed(layout) }
        }

        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            // SAFETY: as in `alloc`.
            unsafe { System.dealloc(ptr, layout) }
        }

        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            count(new_size);
            // SAFETY: as in `alloc`.
            unsafe { System.realloc(ptr, layout, new_size) }
        }
    }

    #[global_allocator]
    static COUNTING: Counting = Counting;
}

#[test]
fn frames_kept_by_another_thread_stay_intact_and_memory_stays_bounded() {
    // The reader runs ahead of a consumer that keeps the last 64 frames on another thread.
    let payloads: Vec<_> = (0..3_000).map(|i| payload(i, i % 2_500)).collect();
    let wire = encoded(&payloads);
    let (send, receive) = mpsc::sync_channel::<(usize, Bytes)>(64);
    let expected = payloads.clone();
    let consumer = thread::spawn(move || {
        let mut window = std::collections::VecDeque::new();
        for (i, frame) in receive {
            assert!(frame == expected[i][..], "frame {i} on arrival");
            window.push_back((i, frame));
            if window.len() > 64 {
                let (j, old) = window.pop_front().unwrap();
                assert!(old == expected[j][..], "frame {j} changed while kept");
            }
        }
        window.len()
    });
    let mut reader = FrameReader::new(ChunkedReader::new(&wire[..], short_reads()));
    let mut most = 0;
    for i in 0..payloads.len() {
        let frame = reader.read_frame().unwrap().expect("a frame");
        send.send((i, frame)).unwrap();
        most = most.max(reader.buffer_capacity());
    }
    drop(send);
    assert_eq!(consumer.join().unwrap(), 64);
    // The block read into, and at most two kept to read into again, each at most twice a
    // frame plus a read.
    assert!(most <= 3 * 2 * (2_504 + MAX_READ_AHEAD), "capacity {most}");
}

/// Reads of 1 to 9 000 bytes, with an `Interrupted` now and then.
fn short_reads() -> Vec<lenframe::testkit::IoOp> {
    use lenframe::testkit::IoOp;
    (0..97)
        .map(|i| match i % 13 {
            0 => IoOp::Interrupted,
            k => IoOp::Limit((k * 691) % 9_000 + 1),
        })
        .collect()
}

#[test]
fn a_reader_error_mid_frame_loses_nothing_across_blocks() {
    // A 200 000-byte frame arrives in 7 000-byte reads, each followed by `WouldBlock`: the
    // block grows as the bytes arrive, and every retry resumes.
    let body = payload(7, 200_000);
    let wire = encoded(std::slice::from_ref(&body));
    let reads = vec![
        lenframe::testkit::IoOp::Limit(7_000),
        lenframe::testkit::IoOp::WouldBlock,
    ];
    let mut reader = FrameReader::new(ChunkedReader::new(&wire[..], reads));
    let frame = loop {
        match reader.read_frame() {
            Ok(frame) => break frame.expect("the frame"),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                assert!(reader.buffer_capacity() <= 2 * (reader.buffered() + MAX_READ_AHEAD));
            }
            Err(e) => panic!("{e}"),
        }
    };
    assert!(frame == body);
}

#[test]
fn the_reader_is_send_sync_and_unwind_safe_as_its_inner_reader_is() {
    // The block's `UnsafeCell`s must not take these away from `FrameReader`.
    fn auto_traits<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>(_: &T) {}
    let reader = FrameReader::new(&b"\x00\x00\x00\x02hi"[..]);
    auto_traits(&reader);
    let frame = std::panic::catch_unwind(move || {
        let mut reader = reader;
        reader.read_frame().unwrap()
    });
    assert_eq!(frame.unwrap().as_deref(), Some(&b"hi"[..]));
}

/// Three 8 MiB frames, each held while the next one is read (the blocks they were read into
/// grow to hold them), then all dropped: once the reader is idle and reads again, it gives
/// those blocks back. Before, it kept about 50 MB for its whole life.
#[test]
fn blocks_a_large_frame_grew_are_given_back_once_the_reader_is_idle() {
    let big: Vec<Vec<u8>> = (0..3).map(|i| payload(i, 8 << 20)).collect();
    let mut frames = big.clone();
    frames.push(payload(9, 100));
    let wire = encoded(&frames);
    let mut reader = FrameReader::new(ChunkedReader::new(&wire[..], vec![IoOp::Limit(1 << 20)]));
    let held: Vec<Bytes> = (0..3)
        .map(|_| reader.read_frame().unwrap().expect("an 8 MiB frame"))
        .collect();
    assert!(
        reader.buffer_capacity() > 16 << 20,
        "grown for the frames: {}",
        reader.buffer_capacity()
    );
    for (frame, expected) in held.iter().zip(&big) {
        assert!(frame[..] == expected[..], "held frames are intact");
    }
    drop(held);
    let small = reader.read_frame().unwrap().expect("the small frame");
    assert_eq!(small.len(), 100);
    // Nothing pending: the next call reads again (here, the end of the stream).
    assert_eq!(reader.read_frame().unwrap(), None);
    eprintln!("held once idle: {} bytes", reader.buffer_capacity());
    assert!(
        reader.buffer_capacity() <= 4 * MAX_READ_AHEAD,
        "given back once idle: {} bytes held",
        reader.buffer_capacity()
    );
}

/// A reader that says it read more bytes than the buffer it was given holds.
struct Overclaims;

impl io::Read for Overclaims {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        buf.fill(0);
        Ok(buf.len() + 1)
    }
}

#[test]
fn a_reader_that_claims_more_than_it_was_given_is_an_error_not_data() {
    let error = FrameReader::new(Overclaims)
        .read_frame()
        .expect_err("a broken contract, not frames of zeros");
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    let inner = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<lenframe::io::ReadOverclaimed>())
        .expect("the typed error");
    assert_eq!(
        *inner,
        lenframe::io::ReadOverclaimed {
            n: 8193,
            buffer: 8192
        }
    );
    assert_eq!(
        error.to_string(),
        "the reader returned 8193 bytes read into a buffer of 8192"
    );
}
