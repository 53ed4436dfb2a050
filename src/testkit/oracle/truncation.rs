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
//! Where a message ends with bytes that may be missing at the end of a stream (the newline after
//! the last JSON value or CSV row), [`Truncation::TrailerOptional`] names them: a stream cut
//! where they start is a whole stream, whose last message may come out whole. Every other cut
//! is judged as before, so a JSON number cut in two, returned as a shorter number, is still
//! caught.
//!
//! [`Truncation::Reported`]: crate::testkit::Truncation::Reported
//! [`Truncation::MustError`]: crate::testkit::Truncation::MustError
//! [`Truncation::TrailerOptional`]: crate::testkit::Truncation::TrailerOptional

use super::liveness::{ended_badly, stalled};
use super::memory::over_bound;
use super::{judge, Expect};
use crate::testkit::checker::Truncation;
use crate::testkit::decoder::{End, Item, Trace};
use crate::testkit::report::Fault;

/// The first fault of a run over a prefix that ends inside item `before.len()`, given the items
/// that end before the cut.
pub(crate) fn judge_truncated<M, T>(
    before: &[Expect<'_, M>],
    run: &Trace<T>,
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
        Some(Item::Message(_)) if matches!(rule, Truncation::AllowRest) => return over_bound(run),
        Some(Item::Message(_)) => return Some(Fault::TruncatedMessageReturned { index: k }),
        // An error for the cut message (the check goes on after errors): reported.
        Some(Item::Error(_)) => return over_bound(run),
        None => {}
    }
    match run.ending {
        End::Error(_) => over_bound(run),
        End::Clean if run.leftover == 0 => Some(Fault::TruncationLost { index: k }),
        End::Clean if matches!(rule, Truncation::MustError) => Some(Fault::TruncationNotAnError {
            index: k,
            leftover: run.leftover,
        }),
        End::Clean => over_bound(run),
        _ => ended_badly(run, k),
    }
}

/// The first fault of a run over a prefix that ends where message `k`'s optional trailer
/// starts ([`Truncation::TrailerOptional`]): that is a whole stream, whose message `k` may come
/// out whole (the run then ends cleanly with nothing left), or be reported as cut, as anywhere
/// else. `expected` holds the messages up to and including message `k`.
pub(crate) fn judge_trailer_cut<M, T>(
    expected: &[Expect<'_, M>],
    run: &Trace<T>,
    same: &dyn Fn(&M, &T) -> bool,
    rule: Truncation,
) -> Option<Fault> {
    let k = expected.len().checked_sub(1)?;
    judge(expected, run, same)?;
    judge_truncated(&expected[..k], run, same, rule)
}
