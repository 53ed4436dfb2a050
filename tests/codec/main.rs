//! The codec: its layouts, errors and invariants, proven on exact vectors, on every layout the
//! builder accepts under every cut (proptest), against tokio-util's memory use, and on every
//! committed fuzz input. One module per claim:
//!
//! - `api`: the small parts of the public API, pinned;
//! - `vectors`: tokio-util's and Netty's documented examples, and the tutorial's Python headers;
//! - `errors`: every error variant, its message, its `io::Error` kind and its guarantee;
//! - `sticky_property`: however a stream of frames is cut, the frames come out exactly;
//! - `borrowed`: the borrowed path is the owned path without the `Bytes`;
//! - `memory`: memory follows what arrived;
//! - `corpus`: every committed fuzz input replayed through its target's oracle.

mod api;
mod borrowed;
mod corpus;
mod errors;
mod memory;
mod sticky_property;
mod vectors;
