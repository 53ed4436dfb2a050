//! Decoders of published crates under lenframe's harness, one module per crate. Each check is
//! written the way lenframe's README tells a user to write it; the lines between the crate's own
//! API and `Checker::new` are the glue README.md counts. Where the harness found a bug, the test
//! asserts the failure and prints its report, and a plain reproduction without lenframe sits
//! beside it (`docs/trophies.md` lists them).

mod cobs;
mod csv;
mod httparse;
mod mqttbytes;
mod postcard;
mod redis_protocol;
mod rmp_serde;
mod rosc;
mod serde_json;
mod tokio_util;

use std::fmt::Debug;

use lenframe::testkit::Failure;

/// Prints a failure's report (in a test's output, with `--nocapture`), and gives it back.
fn shown<M: Debug>(failure: Box<Failure<M>>) -> Box<Failure<M>> {
    println!("{failure}");
    failure
}
