//! Truncation: a stream that ends inside a message (the peer closed, or died, mid-message) must
//! not end as if it were whole. Each checked prefix of an encoded stream that ends inside a
//! message is decoded on its own: it must return the messages before the cut, exactly, and then
//! not the cut one, and it must say the stream was cut, by an error or
//! ([`Truncation::Reported`], the default) at least by leaving the cut message's bytes in the
//! buffer (what `FramedRead` turns into "bytes remaining on stream").
//! [`Truncation::MustError`] demands the error. A clean end with the bytes gone is data lost
//! without a trace ([`Fault::TruncationLost`]): tokio-util's codec with a header consumed and no
//! body does that.
//!
//! [`Truncation::Reported`]: crate::testkit::Truncation::Reported
//! [`Truncation::MustError`]: crate::testkit::Truncation::MustError

use super::liveness::{ended_badly, stalled};
use super::memory::over_bound;
use super::Expect;
use crate::testkit::check::report::Fault;
use crate::testkit::check::Truncation;
use crate::testkit::shape::{Ending, Item, Run};

/// The first fault of a run over a prefix that ends inside item `before.len()`, given the items
/// that end before the cut.
pub(crate) fn judge_truncated<M, T>(
    before: &[Expect<'_, M>],
    run: &Run<T>,
    same: &dyn Fn(&M, &T) -> bool,
    rule: Truncation,
) -> Option<Fault> {
    let k = before.len();
    let items = &run.items;
    let agree = before
        .iter()
        .zip(items)
        .take_while(|(e, item)| match (e, item) {
            (Expect::Message(e), Item::Message(got)) => same(e, got),
            (Expect::Error, Item::Error(_)) => true,
            _ => false,
        })
        .count();
    if let Some(fault) = stalled(run, agree) {
        return Some(fault);
    }
    if agree < k {
        return Some(match items.get(agree) {
            Some(_) => Fault::WrongMessage { index: agree },
            None => ended_badly(run, agree).unwrap_or(Fault::MissingMessages { index: agree }),
        });
    }
    if items.len() > k + 1 {
        return Some(Fault::ExtraMessages { index: k + 1 });
    }
    match items.get(k) {
        Some(Item::Message(_)) if rule == Truncation::AllowRest => return over_bound(run),
        Some(Item::Message(_)) => return Some(Fault::TruncatedMessageReturned { index: k }),
        // An error for the cut message (the check goes on after errors): reported.
        Some(Item::Error(_)) => return over_bound(run),
        None => {}
    }
    match run.ending {
        Ending::Error(_) => over_bound(run),
        Ending::Clean if run.leftover == 0 => Some(Fault::TruncationLost { index: k }),
        Ending::Clean if rule == Truncation::MustError => Some(Fault::TruncationNotAnError {
            index: k,
            leftover: run.leftover,
        }),
        Ending::Clean => over_bound(run),
        _ => ended_badly(run, k),
    }
}
