//! Length-prefixed framing for byte streams.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod builder;
mod codec;
mod error;
mod header;
pub mod io;

#[cfg(feature = "tokio")]
mod tokio;

#[cfg(feature = "testkit")]
pub mod testkit;

#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

pub use builder::{Builder, LengthFieldType, OversizePolicy, DEFAULT_MAX_FRAME_LENGTH};
pub use codec::{Codec, MAX_READ_AHEAD};
pub use error::{ConfigError, DecodeError, EncodeError};
pub use header::{Endian, Header};
