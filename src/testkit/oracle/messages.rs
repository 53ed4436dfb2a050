//! Exact messages, and recovery: a run returns exactly the encoded messages, in order, then ends
//! cleanly with nothing left over; where the check expects an error (a message the protocol
//! rejects, [`Checker::errors_on`]), it returns one error there and goes on with the next
//! message.
//!
//! The first wrong item is named, and so is what probably happened: a message returned twice
//! (the decoder did not consume it), one message split into two, or messages added after the
//! last one.
//!
//! [`Checker::errors_on`]: crate::testkit::Checker::errors_on

use super::liveness::{ended_badly, stalled};
use super::memory::over_bound;
use crate::testkit::decoder::{End, Item, Trace};
use crate::testkit::report::Fault;

/// What a run must return at one position.
pub(crate) enum Expect<'a, M> {
    /// This message.
    Message(&'a M),
    /// An error (and the run goes on).
    Error,
}

fn matches<M, T>(expected: &Expect<'_, M>, item: &Item<T>, same: &dyn Fn(&M, &T) -> bool) -> bool {
    match (expected, item) {
        (Expect::Message(e), Item::Message(got)) => same(e, got),
        (Expect::Error, Item::Error(_)) => true,
        _ => false,
    }
}

/// The first fault of `run` against `expected`, in stream order; `None` when it is right.
pub(crate) fn judge<M, T>(
    expected: &[Expect<'_, M>],
    run: &Trace<T>,
    same: &dyn Fn(&M, &T) -> bool,
) -> Option<Fault> {
    let items = &run.items;
    let n = expected.len();
    let agree = expected
        .iter()
        .zip(items)
        .take_while(|(e, item)| matches(e, item, same))
        .count();
    if let Some(fault) = stalled(run, agree) {
        return Some(fault);
    }
    if agree < n && agree < items.len() {
        return Some(wrong_item(expected, items, agree, same));
    }
    if agree < n {
        // The run ended before item `agree`.
        if let Some(fault) = ended_badly(run, agree) {
            return Some(fault);
        }
        let last_error = expected[..agree]
            .iter()
            .rposition(|e| matches!(e, Expect::Error));
        return Some(match last_error {
            Some(error) => Fault::NotRecovered {
                index: agree,
                error,
            },
            None => Fault::MissingMessages { index: agree },
        });
    }
    if items.len() > n {
        return Some(match (n.checked_sub(1).map(|i| &expected[i]), &items[n]) {
            (Some(Expect::Message(last)), Item::Message(got)) if same(last, got) => {
                Fault::DuplicatedMessage { index: n - 1 }
            }
            _ => Fault::ExtraMessages { index: n },
        });
    }
    if let Some(fault) = ended_badly(run, n) {
        return Some(fault);
    }
    if matches!(run.ending, End::Clean) && run.leftover > 0 {
        return Some(Fault::Leftover {
            bytes: run.leftover,
        });
    }
    over_bound(run)
}

/// What is wrong with item `i`, the first that differs.
fn wrong_item<M, T>(
    expected: &[Expect<'_, M>],
    items: &[Item<T>],
    i: usize,
    same: &dyn Fn(&M, &T) -> bool,
) -> Fault {
    match (&expected[i], &items[i]) {
        (Expect::Message(wanted), Item::Message(got)) => {
            if let Some(Expect::Message(previous)) = i.checked_sub(1).map(|p| &expected[p]) {
                if same(previous, got) {
                    return Fault::DuplicatedMessage { index: i - 1 };
                }
            }
            // Two wrong messages where one was expected, and the rest in step again.
            let second_wrong =
                matches!(&items.get(i + 1), Some(Item::Message(next)) if !same(wanted, next));
            let back_in_step = match expected.get(i + 1) {
                Some(e) => items.get(i + 2).is_some_and(|item| matches(e, item, same)),
                None => items.len() == expected.len() + 1,
            };
            if second_wrong && back_in_step {
                Fault::SplitMessage { index: i }
            } else {
                Fault::WrongMessage { index: i }
            }
        }
        (Expect::Message(_), Item::Error(_)) => Fault::UnexpectedError { index: i },
        (Expect::Error, Item::Message(_)) => Fault::MessageWhereErrorExpected { index: i },
        (Expect::Error, Item::Error(_)) => unreachable!("an error where one is expected matches"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::decoder::{RunError, Stall};

    fn run(items: &[u8], ending: End, leftover: usize) -> Trace<u8> {
        Trace {
            items: items.iter().map(|&m| Item::Message(m)).collect(),
            ending,
            leftover,
            stall: None,
            excess: None,
        }
    }

    fn judged(expected: &[u8], run: &Trace<u8>) -> Option<Fault> {
        let expected: Vec<Expect<'_, u8>> = expected.iter().map(Expect::Message).collect();
        judge(&expected, run, &|a: &u8, b: &u8| a == b)
    }

    #[test]
    fn each_way_of_being_wrong_has_its_name() {
        let clean = || End::Clean;
        assert_eq!(judged(&[1, 2], &run(&[1, 2], clean(), 0)), None);
        assert_eq!(
            judged(&[1, 2], &run(&[1, 3], clean(), 0)),
            Some(Fault::WrongMessage { index: 1 })
        );
        assert_eq!(
            judged(&[1, 2, 3], &run(&[1, 1], clean(), 0)),
            Some(Fault::DuplicatedMessage { index: 0 })
        );
        assert_eq!(
            judged(&[1], &run(&[1, 1], End::Overran, 0)),
            Some(Fault::DuplicatedMessage { index: 0 })
        );
        assert_eq!(
            judged(&[1, 2, 3], &run(&[1, 7, 8, 3], clean(), 0)),
            Some(Fault::SplitMessage { index: 1 })
        );
        assert_eq!(
            judged(&[1, 2], &run(&[1, 7, 8], End::Overran, 0)),
            Some(Fault::SplitMessage { index: 1 })
        );
        assert_eq!(
            judged(&[1, 2], &run(&[1, 2, 9], End::Overran, 0)),
            Some(Fault::ExtraMessages { index: 2 })
        );
        assert_eq!(
            judged(&[1, 2], &run(&[1], clean(), 0)),
            Some(Fault::MissingMessages { index: 1 })
        );
        assert_eq!(
            judged(&[1, 2], &run(&[1], End::Error(RunError::from("e")), 0)),
            Some(Fault::Error { index: 1 })
        );
        assert_eq!(
            judged(&[1], &run(&[1], clean(), 3)),
            Some(Fault::Leftover { bytes: 3 })
        );
        let mut stalled = run(&[1, 2], clean(), 0);
        stalled.stall = Some(Stall {
            index: 1,
            delivered: 9,
            end: 8,
        });
        assert_eq!(
            judged(&[1, 2], &stalled),
            Some(Fault::Stalled {
                index: 1,
                delivered: 9,
                end: 8
            })
        );
    }

    #[test]
    fn recovery_is_judged_item_by_item() {
        let expected = [Expect::Message(&1u8), Expect::Error, Expect::Message(&2)];
        let same = |a: &u8, b: &u8| a == b;
        let items = |items: Vec<Item<u8>>, ending| Trace {
            items,
            ending,
            leftover: 0,
            stall: None,
            excess: None,
        };
        let good = items(
            vec![
                Item::Message(1),
                Item::Error(RunError::from("e")),
                Item::Message(2),
            ],
            End::Clean,
        );
        assert_eq!(judge(&expected, &good, &same), None);
        let gave_up = items(
            vec![Item::Message(1), Item::Error(RunError::from("e"))],
            End::Clean,
        );
        assert_eq!(
            judge(&expected, &gave_up, &same),
            Some(Fault::NotRecovered { index: 2, error: 1 })
        );
        let accepted = items(vec![Item::Message(1), Item::Message(9)], End::Clean);
        assert_eq!(
            judge(&expected, &accepted, &same),
            Some(Fault::MessageWhereErrorExpected { index: 1 })
        );
    }
}
