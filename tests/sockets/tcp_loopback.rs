//! Real TCP on 127.0.0.1, no mocks, every wait bounded by a timeout: frames written with
//! separate sends, one glued send, byte by byte, or cut anywhere (any layout, proptest) come out
//! of `FrameReader` whole. (The echo server over real TCP: `echo_loopback.rs`.)

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use lenframe::io::{FrameReader, FrameWriter};
use lenframe::Codec;
use lenframe_support::feeder::feed_in_chunks;
use lenframe_support::strategy::{cases_or, chunk_sizes, layout_and_frames};
use proptest::prelude::*;
use proptest::test_runner::Config;

use lenframe_support::rng::Rng;

/// How long any single wait may take before the test fails instead of hanging.
const TIMEOUT: Duration = Duration::from_secs(60);

const WORDS: [&[u8]; 3] = [b"hello", b"jason", b"kevin"];

/// Accepts one connection and reads every frame until a clean end of stream; any error fails
/// the test. Reads time out so a bug fails the test instead of hanging it.
fn serve_once(listener: TcpListener, codec: Codec) -> thread::JoinHandle<Vec<Vec<u8>>> {
    thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
        let mut reader = FrameReader::with_codec(stream, codec);
        let frames = reader
            .by_ref()
            .map(|frame| frame.expect("frame").to_vec())
            .collect();
        assert_eq!(reader.buffered(), 0, "a clean end: nothing left over");
        assert_eq!(reader.read_frame().expect("still a clean end"), None);
        frames
    })
}

/// A listener on an ephemeral loopback port, the server reading from it, and a client connected
/// to it (with write timeouts, so a stuck server fails the test).
fn connect(codec: Codec) -> (thread::JoinHandle<Vec<Vec<u8>>>, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let server = serve_once(listener, codec);
    let client = TcpStream::connect(addr).expect("connect");
    client.set_write_timeout(Some(TIMEOUT)).expect("timeout");
    (server, client)
}

#[test]
fn three_sends_arrive_as_three_frames() {
    let (server, client) = connect(Codec::new());
    let mut writer = FrameWriter::new(client);
    for word in WORDS {
        writer.write_frame(word).unwrap();
        writer.flush().unwrap(); // each frame its own send, as the tutorial's three sends
    }
    drop(writer);
    assert_eq!(server.join().unwrap(), WORDS);
}

#[test]
fn one_glued_send_arrives_as_three_frames() {
    let (server, client) = connect(Codec::new());
    let mut writer = FrameWriter::new(client);
    for word in WORDS {
        writer.write_frame(word).unwrap();
    }
    writer.flush().unwrap(); // one write: "hellojasonkevin" with their headers
    drop(writer);
    assert_eq!(server.join().unwrap(), WORDS);
}

#[test]
fn frames_split_into_one_byte_sends_arrive_whole() {
    let (server, mut client) = connect(Codec::new());
    client.set_nodelay(true).unwrap(); // every byte its own segment
    let body: Vec<u8> = (0..3000u32).map(|i| (i % 256) as u8).collect();
    let mut wire = Vec::new();
    let mut writer = FrameWriter::new(&mut wire);
    for frame in WORDS.iter().copied().chain([&body[..]]) {
        writer.write_frame(frame).unwrap();
    }
    drop(writer);
    for byte in &wire {
        client.write_all(std::slice::from_ref(byte)).unwrap();
    }
    drop(client);
    let frames = server.join().unwrap();
    assert_eq!(frames.len(), 4);
    assert_eq!(frames[..3], WORDS);
    assert!(frames[3] == body, "the 3000-byte frame differs");
}

/// Deterministic sizes from 0 to about 200 KiB, most of them small.
fn sizes(count: usize) -> Vec<usize> {
    let mut rng = Rng::new(1);
    (0..count)
        .map(|_| {
            let bound = [16, 1024, 16 * 1024, 200 * 1024][rng.below(4)];
            rng.below(bound)
        })
        .collect()
}

#[test]
fn many_frames_of_many_sizes_arrive_in_order() {
    let (server, client) = connect(Codec::new());
    let frames: Vec<Vec<u8>> = sizes(200)
        .into_iter()
        .enumerate()
        .map(|(i, len)| vec![(i % 251) as u8; len])
        .collect();
    let sent = frames.clone();
    let sender = thread::spawn(move || -> io::Result<()> {
        let mut writer = FrameWriter::new(client);
        for frame in &sent {
            writer.write_frame(frame)?;
        }
        writer.flush()
    });
    let got = server.join().unwrap();
    sender.join().unwrap().unwrap();
    assert_eq!(got.len(), frames.len());
    for (i, (got, sent)) in got.iter().zip(&frames).enumerate() {
        assert!(
            got == sent,
            "frame {i}: {} bytes, sent {}",
            got.len(),
            sent.len()
        );
    }
}

fn proptest_config() -> Config {
    Config::with_cases(cases_or(64))
}

proptest! {
    #![proptest_config(proptest_config())]

    /// Generators: `testkit::layout` (every layout the builder accepts), `testkit::frames_for`,
    /// `testkit::chunk_sizes` (the sizes of the client's sends). With `TCP_NODELAY` each send
    /// goes on the wire as it is made, so the reader meets the cuts (or whatever TCP made of
    /// them), and must return what the decoder returns from the whole stream in one piece.
    #[test]
    fn any_layout_cut_anywhere_crosses_a_real_socket_whole(
        (spec, plans) in layout_and_frames(3000),
        sends in chunk_sizes(),
    ) {
        let codec = spec.build().unwrap();
        let mut wire = bytes::BytesMut::new();
        for plan in &plans {
            codec.encode_parts(&plan.prefix, &plan.gap, &plan.payload, &mut wire).unwrap();
        }
        let in_one_piece = feed_in_chunks(&mut codec.clone(), &wire, &[usize::MAX]);
        prop_assert!(in_one_piece.errors.is_empty(), "{:?}", in_one_piece.errors);
        prop_assert_eq!(in_one_piece.frames.len(), plans.len());

        let (server, mut client) = connect(codec);
        client.set_nodelay(true).unwrap();
        let mut rest = &wire[..];
        for &size in sends.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (send, after) = rest.split_at(size.min(rest.len()));
            client.write_all(send).unwrap();
            rest = after;
        }
        drop(client);
        prop_assert_eq!(server.join().unwrap(), in_one_piece.frames);
    }
}
