//! Memory amplification (opt-in, [`Checker::capacity_bound`]): a call that grows the decoder's
//! buffer leaves it with no more capacity than a bound of the bytes it held when the call began
//! (capacity kept from bytes consumed earlier is not counted against it). A
//! decoder that reserves what a header announces (tokio-util's `LengthDelimitedCodec`, tokio
//! issue 333) lets a peer that sends a few header bytes and stalls pin the announced length, per
//! connection.
//!
//! The capacity is read from the buffer the shape owns: the `BytesMut` of a buffered decoder,
//! `FramedRead::read_buffer` under `FramedRead`. (Parsers never own one; readers hide theirs.)
//! It includes what the harness's own appends add, which at most double it: a bound of
//! `2 * buffered + slack` suits a decoder that only asks for what arrived.
//!
//! The bound is checked after every call, and the run stops at the first call past it: a
//! decoder whose buffer grows on every call is reported before it can exhaust memory.
//!
//! [`Checker::capacity_bound`]: crate::testkit::Checker::capacity_bound

use crate::testkit::decoder::Trace;
use crate::testkit::report::Fault;

/// The run's first capacity over the bound, as a fault.
pub(crate) fn over_bound<T>(run: &Trace<T>) -> Option<Fault> {
    run.excess.map(|excess| Fault::Memory {
        capacity: excess.capacity,
        buffered: excess.buffered,
        bound: excess.bound,
    })
}
