//! The oracles: what a run must have produced, each a named [`Fault`] when it did not.
//!
//! | oracle | file | fails when |
//! |---|---|---|
//! | exact messages | `messages.rs` | a message differs, is missing, split in two, returned twice, or added; bytes are left over; an unexpected error or a panic |
//! | recovery | `messages.rs` | after an error the check expects ([`Checker::errors_on`]), the messages that follow do not come out |
//! | liveness | `liveness.rs` | the decoder waits for more bytes with a whole message delivered, or makes no progress |
//! | truncation | `truncation.rs` | a stream cut short inside a message ends cleanly with its bytes gone, or yields the cut message; where only a message's optional trailer is cut, the message does not come out whole |
//! | memory | `memory.rs` | (opt-in, [`Checker::capacity_bound`]) a call grows the buffer past a bound of the bytes it holds: the run stops there |
//! | any stream | `stream.rs` | (bytes that are not encoded messages) decoding in chunks gives another result than in one piece |
//!
//! The junk run (cursor parsers given junk before their input) is judged by the
//! exact-messages oracle, as [`Run::Junk`](crate::testkit::Run::Junk).
//!
//! [`Checker::errors_on`]: crate::testkit::Checker::errors_on
//! [`Checker::capacity_bound`]: crate::testkit::Checker::capacity_bound

mod liveness;
mod memory;
mod messages;
mod stream;
mod truncation;

pub(crate) use messages::{judge, Expect};
pub(crate) use stream::judge_stream;
pub(crate) use truncation::{judge_trailer_cut, judge_truncated};

#[cfg(doc)]
use crate::testkit::report::Fault;
