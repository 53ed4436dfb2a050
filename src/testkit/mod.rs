//! A harness for stream decoders (feature `testkit`): prove yours immune to sticky packets.
//!
//! TCP delivers bytes, not messages: one read can hold several messages glued together, or part
//! of one, a header without its body, half a header. Any decoder for a stream protocol must
//! return the same messages however the stream is cut, and a decoder tested on whole messages
//! only is not proven. A [`Checker`] proves it in one call: it encodes lists of messages drawn
//! from your strategy, cuts the stream everywhere, decodes it with fresh decoders, and reports
//! the smallest message list and the fewest cuts that break the decoder.
//!
//! ```
//! use bytes::{BufMut, BytesMut};
//!
//! fn decode_line(buf: &mut BytesMut) -> Result<Option<Vec<u8>>, ()> {
//!     let Some(end) = buf.iter().position(|&b| b == b'\n') else { return Ok(None) };
//!     Ok(Some(buf.split_to(end + 1)[..end].to_vec()))
//! }
//! let encode = |line: &Vec<u8>, dst: &mut BytesMut| { dst.put_slice(line); dst.put_u8(b'\n') };
//! let line = proptest::collection::vec(b'a'..=b'z', 0..8);
//! lenframe::testkit::Checker::new(|| decode_line, encode, line).assert();
//! ```
//!
//! # What a case is, and what is checked
//!
//! A case is a list of messages and a [`Plan`]: how the stream is cut, read errors for readers,
//! junk for cursor parsers, the encoder's seed. The messages are encoded back to back into one
//! stream, which fresh decoders decode, each run ending with the end of the stream:
//!
//! 1. in one piece ([`Run::OnePiece`]: the decoder and the encoder disagree, whatever the
//!    cuts);
//! 2. in the plan's chunks ([`Run::Chunked`]: a cutting bug);
//! 3. cursor parsers: in chunks, with junk in front of the input ([`Run::Junk`]);
//! 4. cut short inside a message, at many points ([`Run::Truncated`]).
//!
//! Each run must return exactly the encoded messages, in order, as soon as each has arrived,
//! then end cleanly with nothing left over. What went wrong is a [`Fault`]:
//!
//! | oracle | fails when |
//! |---|---|
//! | exact messages | a message is wrong, missing, returned twice, split in two, or added; bytes are left over; an error or a panic |
//! | liveness | the decoder waits for more bytes with a whole message delivered (a peer waiting for the answer would wait forever), or makes no progress |
//! | truncation ([`Truncation`]) | a stream cut short inside a message ends cleanly with its bytes gone, or yields the cut message |
//! | recovery ([`Checker::errors_on`]) | after an error the check expects, the next messages do not come out |
//! | memory ([`Checker::capacity_bound`]) | a call grows the buffer past a bound of the bytes it holds |
//! | junk | a cursor parser reads the junk before its input |
//! | any stream ([`Checker::any_stream`]) | on bytes that are not encoded messages, decoding in chunks gives another result than in one piece |
//!
//! Every call into the code under test is watched: a panic is caught and reported (and prints
//! nothing), and a call that does not return within [`Checker::timeout`] ends the process with
//! a report that names the case.
//!
//! # Every decoder shape
//!
//! The decoder is what you have, in the shape it has; each shape becomes a [`Decoder`]:
//!
//! | shape | pass |
//! |---|---|
//! | `FnMut(&mut BytesMut) -> Result<Option<T>, E>`, a [`Decode`] type, lenframe's `Codec` | `\|\| decoder` |
//! | a tokio `Decoder` (feature `tokio`), called directly / under `FramedRead` | `\|\| TokioDecoder(d)` / `framed(\|\| d)` |
//! | a slice parser, `&[u8]` -> the message and the bytes used ([`Parse`]) | [`parser`]`(\|\| f)` |
//! | a parser that returns the rest of its input (nom) | [`rest_parser`]`(\|\| f)` |
//! | a push parser, `&[u8]` in, messages out | [`push_parser`]`(\|\| f)` |
//! | a cursor parser, `&mut Cursor<&[u8]>` | [`cursor_parser`]`(\|\| f)` |
//! | a decoder that reads from a `std::io::Read` | [`reader`]`(\|r\| { let mut d = ..(r); move \|\| d.next() })` |
//! | an async read loop (feature `tokio`), checked under cancellation too | `async_reader(\|socket\| async move \|\| ..)` |
//! | a `Stream` of messages (feature `tokio`) | `stream(\|socket\| s)` |
//! | two streams, the second taking over after a message (feature `tokio`) | `handoff(\|socket\| s1, \|m\| switch, \|s1\| s2)` |
//!
//! Then, on any of them: [`Decoder::map`] (messages of another type, or borrowed),
//! [`Decoder::compare_debug`] (messages without `PartialEq`) and [`Decoder::incomplete_when`]
//! (errors that mean "incomplete"). The encoder is any `FnMut(&M, &mut BytesMut)`, or an
//! [`Encoder`] constructor.
//!
//! # Two engines, one check
//!
//! [`Checker::run`] and [`Checker::assert`] draw cases with proptest from a fixed seed (256
//! cases; `PROPTEST_CASES` overrides), so a decoder caught once is caught every time, and
//! shrink a failure. [`Checker::fuzz`] takes the case from a fuzzer's bytes instead (the format
//! is [`Plan`]'s), and [`Checker::replay`] runs a folder of such inputs under `cargo test`. A
//! property failure can be written as such an input ([`Checker::record_failures`]);
//! [`Checker::check`] checks one given case.
//!
//! # Around the decoder: writers, whole servers and clients
//!
//! - [`Checker::for_writer`] checks a [`Writer`]: the messages written to a [`Socket`] that
//!   takes short writes and fails with `Interrupted` and `WouldBlock` must reach the peer as they
//!   do when every write is taken whole.
//! - [`Checker::for_server`] checks a whole [`Server`] over real loopback TCP, in any language:
//!   the answers to messages that reach it cut by a segmenting [`Proxy`] must be the answers to
//!   the same messages sent politely, one at a time.
//! - [`Checker::for_client`] checks a whole [`Client`] program the same way, the checker its
//!   server: what it prints when the messages reach it cut must be what it prints when they
//!   reach it one at a time.
//!
//! # Readers and writers that misbehave
//!
//! [`ChunkedReader`] and [`ChunkedWriter`] wrap any reader or writer and replay a schedule of
//! [`IoOp`]s: short reads and writes, `Interrupted` and `WouldBlock`.

mod checker;
mod client;
mod conversation;
mod decoder;
mod encoder;
mod engine;
mod io;
mod oracle;
mod plan;
mod proxy;
mod report;
mod socket;
mod watch;
mod writer;

pub use checker::{Checker, Truncation};
pub use client::Client;
pub use conversation::Server;
#[cfg(feature = "tokio")]
pub use decoder::async_read::{async_reader, handoff, stream};
pub use decoder::buffered::Decode;
#[cfg(feature = "tokio")]
pub use decoder::buffered::TokioDecoder;
pub use decoder::cursor::{cursor_parser, unexpected_eof};
#[cfg(feature = "tokio")]
pub use decoder::framed::framed;
pub use decoder::parser::{parser, Parse, Parsed};
pub use decoder::push::push_parser;
pub use decoder::reader::{reader, StreamReader};
pub use decoder::rest::rest_parser;
pub use decoder::{Decoder, Shown};
pub use encoder::Encoder;
pub use io::{ChunkedReader, ChunkedWriter, IoCounts, IoOp};
pub use plan::Plan;
pub use proxy::Proxy;
pub use report::{Decoded, Ending, Failure, Fault, Run};
pub use socket::Socket;
pub use writer::Writer;
