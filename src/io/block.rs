//! [`Block`]: the memory [`FrameReader`](super::FrameReader) reads into and cuts frames from,
//! with neither a copy nor a second zeroing.
//!
//! A block is zeroed once, when it is allocated. Reads land in its spare bytes, after the filled
//! ones; frames are [`Bytes`] views of the filled bytes, which nothing writes while a view
//! exists; once no view is left, the block is written from the front again. Safe Rust has no
//! such buffer: `BytesMut` hands out its filled bytes while it appends, but reading into its
//! spare capacity needs it zeroed first, every time it is reused, and `Read::read_buf` (reading
//! into uninitialized memory) is unstable. Zeroing costs as much as the copy from a scratch
//! buffer that this replaces (`benches/scripts/tcp_rounds.sh` compares the reader with a raw
//! one over loopback TCP).
//!
//! This file holds the crate's only `unsafe` code: [`Storage::slice`] and
//! [`Storage::slice_mut`], and the `Sync` they make sound. The invariant that makes them sound
//! is [`Block`]'s, and it holds by construction: only a `Block` writes its storage, only past
//! `filled`, and `filled` never moves back while any view of the storage is alive.
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;

/// Zero-initialized bytes, written by one [`Block`] and read by the views it hands out.
struct Storage(Box<[UnsafeCell<u8>]>);

// SAFETY: `Storage` is shared between threads as `Arc<Storage>`, by the views of its filled
// bytes (in `Bytes`, which are `Send` and `Sync`) and by the `Block` that writes it. Views only
// read bytes before their `Block`'s `filled`, and the `Block` only writes after it, or when it
// holds the only `Arc` (`Arc::get_mut`): no byte is ever written while another thread, or
// anything else, reads it.
unsafe impl Sync for Storage {}

// A panic cannot leave a `Storage` in a state a view would misread: bytes count as filled only
// after a read into them returned (`Block::commit`), so a panic inside a read leaves them spare.
// Without this, `UnsafeCell` would make `FrameReader` neither `UnwindSafe` nor `RefUnwindSafe`.
impl std::panic::RefUnwindSafe for Storage {}

impl Storage {
    fn zeroed(len: usize) -> Storage {
        Storage((0..len).map(|_| UnsafeCell::new(0)).collect())
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    /// The bytes of `range`, to read.
    ///
    /// # Safety
    ///
    /// Nothing may write these bytes while the returned slice is alive.
    unsafe fn slice(&self, range: Range<usize>) -> &[u8] {
        // Indexing checks the bounds.
        let cells = &self.0[range];
        // SAFETY: `UnsafeCell<u8>` has the layout of `u8`, and `cells` is in bounds and
        // initialized (zeroed when allocated, and since written only with bytes); the caller
        // promises that nothing writes it meanwhile.
        unsafe { std::slice::from_raw_parts(UnsafeCell::raw_get(cells.as_ptr()), cells.len()) }
    }

    /// The bytes of `range`, to write.
    ///
    /// # Safety
    ///
    /// Nothing else may read or write these bytes while the returned slice is alive.
    #[allow(clippy::mut_from_ref)] // the point of `UnsafeCell`: the caller vouches for exclusivity
    unsafe fn slice_mut(&self, range: Range<usize>) -> &mut [u8] {
        // Indexing checks the bounds.
        let cells = &self.0[range];
        // SAFETY: as in `slice`; the pointer comes from `UnsafeCell`s, so writing through it is
        // allowed, and the caller promises no other access meanwhile.
        unsafe { std::slice::from_raw_parts_mut(UnsafeCell::raw_get(cells.as_ptr()), cells.len()) }
    }
}

/// A view of the filled bytes of a [`Block`], as the owner of a [`Bytes`].
struct Filled {
    storage: Arc<Storage>,
    len: usize,
}

impl AsRef<[u8]> for Filled {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: `len` was the block's `filled` when this view was made, and the block writes
        // only past its `filled`, which does not move back while this view holds the storage.
        unsafe { self.storage.slice(0..self.len) }
    }
}

/// A buffer that is read into at its end and shared, uncopied, up to there: its first `filled`
/// bytes are frozen (frames are views of them), the rest is spare room for reads.
///
/// The invariant, kept by every method: while the storage is shared (views are alive), `filled`
/// only grows, and only [`Block::spare`] writes, past `filled`. The block is not `Clone`: it is
/// the only writer of its storage.
pub(super) struct Block {
    storage: Arc<Storage>,
    filled: usize,
}

impl Block {
    /// A block of `len` zeroed bytes, none filled.
    pub(super) fn new(len: usize) -> Block {
        Block {
            storage: Arc::new(Storage::zeroed(len)),
            filled: 0,
        }
    }

    /// The block's size in bytes.
    pub(super) fn len(&self) -> usize {
        self.storage.len()
    }

    /// The filled bytes.
    pub(super) fn filled(&self) -> &[u8] {
        // SAFETY: the block writes only past `filled` (`spare`, which needs `&mut self`, so not
        // while this borrow lives), or everywhere when unshared (`compact`, `&mut self` too).
        unsafe { self.storage.slice(0..self.filled) }
    }

    /// The spare bytes, past the filled ones, to read into; [`Block::commit`] then fills them.
    pub(super) fn spare(&mut self) -> &mut [u8] {
        // SAFETY: views and `filled` cover bytes before `filled` only (views were made at an
        // earlier or equal `filled`, which has not moved back since: `compact` needs the storage
        // unshared), and `&mut self` rules out any other borrow of this block.
        unsafe { self.storage.slice_mut(self.filled..self.len()) }
    }

    /// Marks the first `n` spare bytes filled.
    pub(super) fn commit(&mut self, n: usize) {
        assert!(n <= self.len() - self.filled, "commit past the block's end");
        self.filled += n;
    }

    /// A view of the filled bytes that stays valid, and unchanged, however the block goes on.
    pub(super) fn share(&self) -> Bytes {
        Bytes::from_owner(Filled {
            storage: Arc::clone(&self.storage),
            len: self.filled,
        })
    }

    /// Whether views of the block are alive.
    pub(super) fn is_shared(&self) -> bool {
        Arc::strong_count(&self.storage) > 1
    }

    /// Moves the filled bytes `keep` to the front, so that they are all that is filled, and
    /// returns `true`; or, while views are alive, changes nothing and returns `false`.
    pub(super) fn compact(&mut self, keep: Range<usize>) -> bool {
        let Some(storage) = Arc::get_mut(&mut self.storage) else {
            return false;
        };
        assert!(keep.end <= self.filled, "keep filled bytes only");
        let len = storage.len();
        // SAFETY: `Arc::get_mut` proves no view is alive, and `&mut self` rules out any borrow
        // of this block: nothing else reads or writes the storage.
        let bytes = unsafe { storage.slice_mut(0..len) };
        let kept = keep.len();
        bytes.copy_within(keep, 0);
        self.filled = kept;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(block: &mut Block, bytes: &[u8]) {
        block.spare()[..bytes.len()].copy_from_slice(bytes);
        block.commit(bytes.len());
    }

    #[test]
    fn views_keep_their_bytes_while_the_block_fills_on() {
        let mut block = Block::new(16);
        assert_eq!(block.spare(), &[0; 16][..], "zeroed");
        fill(&mut block, b"hello");
        let view = block.share();
        fill(&mut block, b"jason");
        assert_eq!(&view[..], b"hello");
        assert_eq!(block.filled(), b"hellojason");
        assert!(block.is_shared());
        assert!(!block.compact(5..10), "no compaction under a live view");
        assert_eq!(block.filled(), b"hellojason");
        let moved = std::thread::spawn(move || view.slice(1..3)).join().unwrap();
        assert_eq!(&moved[..], b"el");
        drop(moved);
        assert!(!block.is_shared());
        assert!(block.compact(5..10));
        assert_eq!(block.filled(), b"jason");
        assert_eq!(block.spare().len(), 11);
    }

    #[test]
    #[should_panic(expected = "commit past the block's end")]
    fn commit_past_the_end_panics() {
        let mut block = Block::new(4);
        block.commit(5);
    }
}
