//! Any stream: on bytes that are not a list of encoded messages (a fuzzer's, a hostile peer's),
//! nothing says what a decoder must return, but it must return the same whatever the cut: the
//! run in one piece and the run in chunks give the same messages, the same errors (shown with
//! `Debug`), the same ending and the same bytes left over, and neither panics, stops making
//! progress or (opt-in) grows its buffer past the bound.

use super::liveness::ended_badly;
use super::memory::over_bound;
use crate::testkit::decoder::{End, Item, RunError, Trace};
use crate::testkit::report::{Ending, Fault};

/// The first fault of `chunked` against `one_piece` (both over the same bytes): `Ok` when they
/// agree; `Err((fault, in_one_piece))`, where `in_one_piece` says which run shows it.
pub(crate) fn judge_stream<T: PartialEq>(
    one_piece: &Trace<T>,
    chunked: &Trace<T>,
    same_error: &dyn Fn(&RunError, &RunError) -> bool,
) -> Result<(), (Fault, bool)> {
    for (run, is_one_piece) in [(one_piece, true), (chunked, false)] {
        let index = run.items.len();
        if let Some(fault) = match run.ending {
            End::Panicked(_) | End::NoProgress(_) | End::Broken(_) => ended_badly(run, index),
            // More items than bytes: some consumed nothing, and would come for ever.
            End::Overran => Some(Fault::NoProgress { index }),
            _ => over_bound(run),
        } {
            return Err((fault, is_one_piece));
        }
    }
    // Whether a cut lets a decoder return an error once or twice in a row (the call that
    // returns it may also have finished something else) is not a difference: repeats are one
    // error, and so is an error that repeats as the run's ending.
    let same = |x: &Item<T>, y: &Item<T>| match (x, y) {
        (Item::Message(x), Item::Message(y)) => x == y,
        (Item::Error(x), Item::Error(y)) => same_error(x, y),
        _ => false,
    };
    let has_errors = |run: &Trace<T>| {
        matches!(run.ending, End::Error(_))
            || run.items.iter().any(|item| matches!(item, Item::Error(_)))
    };
    let (agree, same_items) = if has_errors(one_piece) || has_errors(chunked) {
        agreement(
            errors_once(one_piece, same_error),
            errors_once(chunked, same_error),
            same,
        )
    } else {
        agreement(one_piece.items.iter(), chunked.items.iter(), same)
    };
    // A run that stopped at an error stopped where its chunk ended: only whole runs leave
    // comparable bytes behind.
    let both_whole = matches!(one_piece.ending, End::Clean) && matches!(chunked.ending, End::Clean);
    let same_ending = match (&one_piece.ending, &chunked.ending) {
        (End::Error(a), End::Error(b)) => same_error(a, b),
        (a, b) => Ending::of(a) == Ending::of(b),
    };
    if !same_items || !same_ending || (both_whole && one_piece.leftover != chunked.leftover) {
        return Err((Fault::Differs { index: agree }, false));
    }
    Ok(())
}

/// How many items the two lists have alike from the start, and whether that is all of both.
fn agreement<'a, T: 'a>(
    mut a: impl Iterator<Item = &'a Item<T>>,
    mut b: impl Iterator<Item = &'a Item<T>>,
    same: impl Fn(&Item<T>, &Item<T>) -> bool,
) -> (usize, bool) {
    let mut agree = 0;
    loop {
        match (a.next(), b.next()) {
            (None, None) => return (agree, true),
            (Some(x), Some(y)) if same(x, y) => agree += 1,
            _ => return (agree, false),
        }
    }
}

/// A run's items with consecutive equal errors, and a last error equal to the ending's, kept
/// once. An iterator, not a list: judged on every fuzz input, it allocates nothing.
fn errors_once<'a, T>(
    run: &'a Trace<T>,
    same_error: &'a dyn Fn(&RunError, &RunError) -> bool,
) -> impl Iterator<Item = &'a Item<T>> {
    let mut kept_error: Option<&RunError> = None;
    let mut items = run
        .items
        .iter()
        .filter(move |item| match item {
            Item::Error(e) => {
                let repeat = kept_error.is_some_and(|kept| same_error(kept, e));
                kept_error = Some(e);
                !repeat
            }
            Item::Message(_) => {
                kept_error = None;
                true
            }
        })
        .peekable();
    std::iter::from_fn(move || {
        let item = items.next()?;
        if items.peek().is_none() {
            if let (Item::Error(e), End::Error(ending)) = (item, &run.ending) {
                if same_error(e, ending) {
                    return None;
                }
            }
        }
        Some(item)
    })
}
