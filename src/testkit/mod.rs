//! Test support for framing code (feature `testkit`): proptest strategies over every layout the
//! builder accepts, frame sequences and cuts of a stream, a chunk-by-chunk feeder, and scripted
//! readers and writers that return short reads and writes and `Interrupted` errors.
//!
//! The strategies are built from proptest combinators only, so failing cases shrink.

pub mod io;
pub mod strategy;

pub use io::{ScriptedReader, ScriptedWriter};
pub use strategy::{
    any_layout_spec, capacity_bound, chunk_sizes, feed, feed_in_chunks, frames_for, layout,
    FieldSpec, FramePlan, LayoutSpec, Outcome, Step,
};
