//! Real TCP on 127.0.0.1: frames written with separate sends, one send, or byte by byte come out
//! whole; and a Python client written the tutorial's way (`struct.pack('i', len(data))`) is read
//! by `FrameReader`.

use std::io::{self, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::thread;
use std::time::Duration;

use lenframe::io::{FrameReader, FrameWriter};
use lenframe::Codec;

const WORDS: [&[u8]; 3] = [b"hello", b"jason", b"kevin"];

/// Accepts one connection and reads every frame until a clean end of stream; any error fails
/// the test. Reads time out so a bug fails the test instead of hanging it.
fn serve_once(listener: TcpListener, codec: Codec) -> thread::JoinHandle<Vec<Vec<u8>>> {
    thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
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
    client
        .set_write_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
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

/// Deterministic sizes from 0 to about 200 KiB, most of them small: a fixed-seed xorshift, so a
/// failure reproduces.
fn sizes(count: usize) -> Vec<usize> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bound = [16u64, 1024, 16 * 1024, 200 * 1024][(state % 4) as usize];
            usize::try_from((state >> 8) % bound).unwrap()
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

#[test]
fn a_python_client_written_the_tutorials_way_is_understood() {
    match Command::new("python3").arg("--version").output() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            eprintln!("python3 not found: skipping the interop test");
            return;
        }
        other => assert!(other.expect("run python3").status.success()),
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let port = listener.local_addr().unwrap().port();
    // 'i' is native order: the reader uses the machine's order too.
    let server = serve_once(listener, Codec::builder().native_endian().build().unwrap());
    let status = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/python_client.py"
        ))
        .arg(port.to_string())
        .args(["hello", "jason", "kevin", "", "ünïcödé"])
        .env("PYTHONUTF8", "1") // argv and .encode() in UTF-8 whatever the locale
        .status()
        .expect("run python3");
    assert!(status.success());
    assert_eq!(
        server.join().unwrap(),
        [&b"hello"[..], b"jason", b"kevin", b"", "ünïcödé".as_bytes()]
    );
}
