//! Liveness: a decoder returns a message as soon as its last byte has arrived, and every run
//! ends.
//!
//! The first is checked while the run goes ([`Log::waiting`](crate::testkit::Log::waiting)):
//! each time the decoder asks for more bytes (returns "no message yet", reads again, returns
//! `Pending`), the bytes delivered so far are compared with where the next expected message
//! ends. A decoder that waits with a whole message delivered would, over a connection whose
//! peer waits for the answer, wait forever. The second is the run's bound: one message past what
//! was encoded, a bounded number of reads after the end, of polls.

use super::memory::over_bound;
use crate::testkit::decoder::{End, Trace};
use crate::testkit::report::Fault;

/// The stall the run saw, when the message it waited on came out right later (it is before
/// `agree`, the first item that is wrong or missing: a late message), or never came out while
/// its bytes stayed in the buffer to the end (`agree` itself, bytes left over). A message that
/// came out wrong, or whose bytes are gone, is reported as that instead.
pub(crate) fn stalled<T>(run: &Trace<T>, agree: usize) -> Option<Fault> {
    let stall = run.stall?;
    let late = stall.index < agree;
    let kept = stall.index == agree && run.items.len() == agree && run.leftover > 0;
    (late || kept).then_some(Fault::Stalled {
        index: stall.index,
        delivered: stall.delivered,
        end: stall.end,
    })
}

/// The fault for a run that ended, at item `index`, without a clean end: `None` for a clean end
/// (or an overrun, judged by the caller); a run stopped by the memory bound is that fault.
pub(crate) fn ended_badly<T>(run: &Trace<T>, index: usize) -> Option<Fault> {
    match run.ending {
        End::Clean | End::Overran => None,
        End::Error(_) => Some(Fault::Error { index }),
        End::Panicked(_) => Some(Fault::Panicked { index }),
        End::NoProgress(_) => Some(Fault::NoProgress { index }),
        End::Broken(_) => Some(Fault::Broken { index }),
        End::OverBound => over_bound(run),
    }
}
