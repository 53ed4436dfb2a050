//! tokio-util's codecs: `LinesCodec` and `LengthDelimitedCodec`, called directly and under
//! `FramedRead`.

use bytes::{Bytes, BytesMut};
use lenframe::testkit::{framed, Checker, Encoder, Fault, Run, TokioDecoder, Truncation};
use proptest::collection::vec;
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder as _, LengthDelimitedCodec, LinesCodec};

use crate::shown;

#[test]
fn lines_codec_called_directly() {
    // Glue: none. A last line may end without its newline (`AllowRest`).
    Checker::new(
        || TokioDecoder(LinesCodec::new()),
        Encoder::tokio(LinesCodec::new()),
        "[a-z ]{0,12}",
    )
    .truncation(Truncation::AllowRest)
    .assert();
}

#[test]
fn lines_codec_under_framed_read() {
    // Glue: none.
    Checker::new(
        framed(LinesCodec::new),
        Encoder::tokio(LinesCodec::new()),
        "[a-z ]{0,12}",
    )
    .truncation(Truncation::AllowRest)
    .assert();
}

/// Found: `LinesCodec::new_with_max_length` documents that an over-long line is skipped and
/// decoding goes on. Under `FramedRead` (tokio-util 0.7.18 to 0.7.20), the error ends the stream
/// once and, polled again, `FramedRead` reads before it decodes what is buffered: the line after
/// the long one waits for bytes a peer that waits for its answer never sends.
#[test]
fn trophy_lines_codec_stalls_after_an_over_long_line_under_framed_read() {
    let failure = Checker::new(
        framed(|| LinesCodec::new_with_max_length(4)),
        Encoder::tokio(LinesCodec::new()),
        "[a-z]{0,8}",
    )
    .errors_on(|line: &String| line.len() > 4)
    .truncation(Truncation::AllowRest)
    .run()
    .map_err(shown)
    .expect_err("FramedRead stalls after the error");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (
            Run::OnePiece,
            Fault::Stalled {
                index: 1,
                delivered: 7,
                end: 7
            }
        ),
        "{failure}"
    );
    // Called directly, the same codec recovers.
    Checker::new(
        || TokioDecoder(LinesCodec::new_with_max_length(4)),
        Encoder::tokio(LinesCodec::new()),
        "[a-z]{0,8}",
    )
    .errors_on(|line: &String| line.len() > 4)
    .truncation(Truncation::AllowRest)
    .assert();
}

/// The stall without lenframe: `FramedRead` over an `AsyncRead` that has delivered
/// `"aaaaa\n\n"` and has nothing more yet. The over-long line gives its error, the stream ends
/// once, and polled again it returns `Pending` with the empty line whole in its buffer.
#[test]
fn reproduction_lines_codec_stalls_after_an_over_long_line_under_framed_read() {
    use futures_core::Stream;
    use std::pin::Pin;
    use std::task::{Context, Poll, Waker};
    use tokio::io::{AsyncRead, ReadBuf};
    use tokio_util::codec::FramedRead;

    /// Delivers its bytes once, then is pending for ever (a peer that waits for an answer).
    struct ThenWaits(Option<&'static [u8]>);
    impl AsyncRead for ThenWaits {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            match self.0.take() {
                Some(bytes) => {
                    buf.put_slice(bytes);
                    Poll::Ready(Ok(()))
                }
                None => Poll::Pending,
            }
        }
    }
    let mut lines = FramedRead::new(
        ThenWaits(Some(b"aaaaa\n\n")),
        LinesCodec::new_with_max_length(4),
    );
    let mut cx = Context::from_waker(Waker::noop());
    let mut polled = Vec::new();
    for _ in 0..4 {
        polled.push(match Pin::new(&mut lines).poll_next(&mut cx) {
            Poll::Ready(Some(Ok(line))) => format!("line {line:?}"),
            Poll::Ready(Some(Err(e))) => format!("error {e}"),
            Poll::Ready(None) => "end".to_owned(),
            Poll::Pending => "pending".to_owned(),
        });
    }
    // The empty line is whole in the buffer (behind the long line, not yet skipped), and never
    // comes out: FramedRead reads before it decodes again.
    assert_eq!(
        polled,
        [
            "error max line length exceeded",
            "end",
            "pending",
            "pending"
        ]
    );
    assert_eq!(&lines.read_buffer()[..], b"aaaaa\n\n");
}

fn frame() -> impl Strategy<Value = BytesMut> {
    vec(any::<u8>(), 0..32).prop_map(|f| BytesMut::from(&f[..]))
}

/// Found: `LengthDelimitedCodec` (0.7.x) consumes a header before its body has arrived; when the
/// stream ends right there, its `decode_eof` (the `Decoder` default) sees an empty buffer and
/// reports a clean end. The frame vanishes without an error.
#[test]
fn trophy_length_delimited_codec_loses_a_frame_cut_after_its_header() {
    // Glue: the encoder takes `Bytes`, the decoder returns `BytesMut`: one closure.
    let encode = |frame: &BytesMut, dst: &mut BytesMut| {
        LengthDelimitedCodec::new()
            .encode(Bytes::copy_from_slice(frame), dst)
            .unwrap();
    };
    let failure = Checker::new(
        || TokioDecoder(LengthDelimitedCodec::new()),
        encode,
        frame(),
    )
    .run()
    .map_err(shown)
    .expect_err("the cut frame is lost");
    assert_eq!(
        (failure.run, failure.fault.clone()),
        (Run::Truncated { at: 4 }, Fault::TruncationLost { index: 0 }),
        "{failure}"
    );
}

/// The loss without lenframe: a header announcing 3 bytes arrives, then the stream ends.
#[test]
fn reproduction_length_delimited_codec_loses_a_frame_cut_after_its_header() {
    let mut codec = LengthDelimitedCodec::new();
    let mut buf = BytesMut::from(&b"\x00\x00\x00\x03"[..]);
    assert_eq!(codec.decode(&mut buf).unwrap(), None); // waits for the body
                                                       // The stream ends: no error, nothing left, the frame gone.
    assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
    assert!(buf.is_empty());
}
