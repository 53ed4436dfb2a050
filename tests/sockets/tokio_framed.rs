//! `Framed<TcpStream, Codec>` over loopback with tokio.

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use lenframe::{Codec, DecodeError, EncodeError, OversizePolicy};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, FramedRead, LengthDelimitedCodec};

async fn pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap())
        .await
        .unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (client, server)
}

fn decode_error(err: &std::io::Error) -> Option<&DecodeError> {
    err.get_ref().and_then(|e| e.downcast_ref::<DecodeError>())
}

#[tokio::test]
async fn framed_sends_and_receives_over_tcp() {
    let (client, server) = pair().await;
    let mut tx = Framed::new(client, Codec::new());
    let mut rx = Framed::new(server, Codec::new());
    let big = Bytes::from(vec![9u8; 300_000]);
    tx.send(Bytes::from_static(b"hello")).await.unwrap();
    tx.send(&b"jason"[..]).await.unwrap();
    tx.send(big.clone()).await.unwrap();
    tx.send(Bytes::new()).await.unwrap();
    drop(tx);
    let mut got = Vec::new();
    while let Some(frame) = rx.next().await {
        got.push(frame.unwrap());
    }
    assert_eq!(
        got,
        [
            Bytes::from_static(b"hello"),
            Bytes::from_static(b"jason"),
            big,
            Bytes::new()
        ]
    );
}

fn skipping_codec() -> Codec {
    Codec::builder()
        .max_frame_length(4)
        .oversize(OversizePolicy::Skip)
        .build()
        .unwrap()
}

/// A 13-byte frame over the limit of 4.
const OVERSIZE: &[u8] = b"\x00\x00\x00\x09too long!";

/// The next item, or a panic after 10 s: a stall fails the test instead of hanging it.
async fn next_within<S: StreamExt + Unpin>(stream: &mut S) -> Option<S::Item> {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("the stream stalled with a frame buffered")
}

#[tokio::test]
async fn under_the_skip_policy_a_live_peer_gets_the_frame_after_a_discarded_one() {
    let (mut client, server) = pair().await;
    let mut rx = FramedRead::new(server, skipping_codec());
    // One write, and the peer stays connected waiting for an answer: no more bytes will come
    // until the frame after the discarded one is delivered.
    client
        .write_all(
            &[
                &b"\x00\x00\x00\x02ok"[..],
                OVERSIZE,
                b"\x00\x00\x00\x04next",
            ]
            .concat(),
        )
        .await
        .unwrap();
    assert_eq!(next_within(&mut rx).await.unwrap().unwrap(), "ok");
    assert_eq!(next_within(&mut rx).await.unwrap().unwrap(), "next");
    assert_eq!(rx.decoder().discarded_frames(), 1);
    assert_eq!(rx.decoder().discarded_bytes(), 13);
    // The conversation goes on.
    client.write_all(b"\x00\x00\x00\x03yes").await.unwrap();
    assert_eq!(next_within(&mut rx).await.unwrap().unwrap(), "yes");
    drop(client);
    assert!(next_within(&mut rx).await.is_none());
}

#[tokio::test]
async fn under_the_skip_policy_frames_after_discards_arrive_before_the_end_of_the_stream() {
    let (mut client, server) = pair().await;
    client
        .write_all(&[OVERSIZE, OVERSIZE, b"\x00\x00\x00\x04next"].concat())
        .await
        .unwrap();
    drop(client);
    let mut rx = FramedRead::new(server, skipping_codec());
    // What a `while let Some(item) = stream.next().await` loop sees.
    let mut items = Vec::new();
    while let Some(item) = next_within(&mut rx).await {
        items.push(item.unwrap());
        assert!(items.len() < 100, "no end");
    }
    assert_eq!(items, ["next"]);
    assert_eq!(rx.decoder().discarded_frames(), 2);
    assert!(rx.read_buffer().is_empty());
}

#[tokio::test]
async fn under_the_skip_policy_a_stream_ending_inside_a_discarded_frame_is_an_error() {
    let (mut client, server) = pair().await;
    client.write_all(&OVERSIZE[..7]).await.unwrap();
    drop(client);
    let mut rx = FramedRead::new(server, skipping_codec());
    let err = next_within(&mut rx).await.unwrap().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    assert_eq!(
        decode_error(&err),
        Some(&DecodeError::TruncatedFrame {
            buffered: 7,
            expected: 13
        })
    );
    assert_eq!(rx.decoder().discarded_frames(), 1);
}

#[tokio::test]
async fn under_the_skip_policy_a_flood_of_oversize_frames_is_dropped_as_it_arrives() {
    const FLOOD: usize = 400_000;
    let (mut client, server) = pair().await;
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let writer = tokio::spawn(async move {
        let flood = OVERSIZE.repeat(FLOOD);
        client.write_all(&flood).await.unwrap();
        client.write_all(b"\x00\x00\x00\x04next").await.unwrap();
        // Connected until the reader is done: no end of stream pushes the frames out.
        let _ = done_rx.await;
    });
    let mut rx = FramedRead::new(server, skipping_codec());
    let mut largest_buffer = 0;
    let next = loop {
        let item = next_within(&mut rx).await;
        largest_buffer = largest_buffer.max(rx.read_buffer().capacity());
        if let Some(item) = item {
            break item.unwrap();
        }
    };
    assert_eq!(next, "next");
    assert_eq!(rx.decoder().discarded_frames(), FLOOD as u64);
    assert_eq!(
        rx.decoder().discarded_bytes(),
        (FLOOD * OVERSIZE.len()) as u64
    );
    // 5.2 MB went through; the buffer held no more than a few reads' worth.
    assert!(
        largest_buffer <= 1 << 20,
        "read buffer grew to {largest_buffer} bytes"
    );
    done_tx.send(()).unwrap();
    writer.await.unwrap();
}

#[tokio::test]
async fn two_zero_bytes_with_num_skip_0_end_the_stream_instead_of_spinning() {
    let (mut client, server) = pair().await;
    client.write_all(b"\x00\x00").await.unwrap();
    drop(client);
    let codec = Codec::builder()
        .length_field_length(2)
        .num_skip(0)
        .build()
        .unwrap();
    let mut ours = FramedRead::new(server, codec);
    // What a `while let Some(item) = stream.next().await` loop sees: one error, then the end.
    let mut items = Vec::new();
    while let Some(item) = ours.next().await {
        items.push(item);
        assert!(items.len() < 100, "no end");
    }
    assert_eq!(items.len(), 1);
    let err = items[0].as_ref().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(
        decode_error(err),
        Some(&DecodeError::FrameEndsInHeader {
            frame_end: 0,
            header_len: 2
        })
    );

    // tokio-util on the same bytes: empty frames, without end (bounded here).
    let (mut client, server) = pair().await;
    client.write_all(b"\x00\x00").await.unwrap();
    drop(client);
    let theirs = LengthDelimitedCodec::builder()
        .length_field_length(2)
        .num_skip(0)
        .new_codec();
    let mut theirs = FramedRead::new(server, theirs);
    for _ in 0..100 {
        assert_eq!(theirs.next().await.unwrap().unwrap(), "");
    }
}

#[tokio::test]
async fn a_stream_ending_inside_a_frame_is_an_error() {
    let (mut client, server) = pair().await;
    client.write_all(b"\x00\x00\x00\x08half").await.unwrap();
    drop(client);
    let mut rx = FramedRead::new(server, Codec::new());
    let err = rx.next().await.unwrap().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    assert_eq!(
        decode_error(&err),
        Some(&DecodeError::TruncatedFrame {
            buffered: 8,
            expected: 12
        })
    );
}

#[tokio::test]
async fn an_oversize_send_fails_alone_and_writes_nothing() {
    let (client, server) = pair().await;
    let codec = Codec::builder().max_frame_length(4).build().unwrap();
    let mut tx = Framed::new(client, codec.clone());
    let err = tx.send(&b"too long"[..]).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert_eq!(
        err.get_ref().and_then(|e| e.downcast_ref::<EncodeError>()),
        Some(&EncodeError::FrameTooLarge { len: 8, max: 4 })
    );
    tx.send(Bytes::from_static(b"ok")).await.unwrap();
    drop(tx);
    let got: Vec<_> = FramedRead::new(server, codec).collect().await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].as_ref().unwrap(), "ok");
}

#[tokio::test]
async fn three_words_glued_in_one_write_come_out_as_three_frames() {
    let (mut client, server) = pair().await;
    client
        .write_all(b"\x00\x00\x00\x05hello\x00\x00\x00\x05jason\x00\x00\x00\x05kevin")
        .await
        .unwrap();
    drop(client);
    let got: Vec<_> = FramedRead::new(server, Codec::new())
        .map(|frame| frame.unwrap())
        .collect()
        .await;
    assert_eq!(got, ["hello", "jason", "kevin"]);
}
