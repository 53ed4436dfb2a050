//! Real TCP on 127.0.0.1: frames written with separate sends, one send, or byte by byte come out
//! whole; and a Python client written the tutorial's way (`struct.pack('i', len(data))`) is read
//! by `FrameReader`.

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::thread;
use std::time::Duration;

use lenframe::io::{FrameReader, FrameWriter};
use lenframe::Codec;

const WORDS: [&[u8]; 3] = [b"hello", b"jason", b"kevin"];

/// Accepts one connection and reads every frame until a clean end. Reads time out so a bug
/// fails the test instead of hanging it.
fn serve_once(listener: TcpListener, codec: Codec) -> thread::JoinHandle<Vec<Vec<u8>>> {
    thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        FrameReader::with_codec(stream, codec)
            .map(|frame| frame.expect("frame").to_vec())
            .collect()
    })
}

fn listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").expect("bind loopback")
}

#[test]
fn three_sends_arrive_as_three_frames() {
    let listener = listener();
    let addr = listener.local_addr().unwrap();
    let server = serve_once(listener, Codec::new());
    let mut client = TcpStream::connect(addr).unwrap();
    for word in WORDS {
        // Each frame its own write, as the tutorial's sends.
        let mut wire = (word.len() as u32).to_be_bytes().to_vec();
        wire.extend_from_slice(word);
        client.write_all(&wire).unwrap();
    }
    drop(client);
    assert_eq!(server.join().unwrap(), WORDS);
}

#[test]
fn one_glued_send_arrives_as_three_frames() {
    let listener = listener();
    let addr = listener.local_addr().unwrap();
    let server = serve_once(listener, Codec::new());
    let mut writer = FrameWriter::new(TcpStream::connect(addr).unwrap());
    for word in WORDS {
        writer.write_frame(word).unwrap();
    }
    writer.flush().unwrap(); // one write: "hellojasonkevin" with headers
    drop(writer);
    assert_eq!(server.join().unwrap(), WORDS);
}

#[test]
fn a_frame_sent_byte_by_byte_arrives_whole() {
    let listener = listener();
    let addr = listener.local_addr().unwrap();
    let server = serve_once(listener, Codec::new());
    let mut client = TcpStream::connect(addr).unwrap();
    client.set_nodelay(true).unwrap();
    let body: Vec<u8> = (0..3000u32).map(|i| (i % 256) as u8).collect();
    let mut wire = (body.len() as u32).to_be_bytes().to_vec();
    wire.extend_from_slice(&body);
    for byte in &wire {
        client.write_all(std::slice::from_ref(byte)).unwrap();
    }
    drop(client);
    assert_eq!(server.join().unwrap(), [body]);
}

#[test]
fn many_frames_of_many_sizes_arrive_in_order() {
    let listener = listener();
    let addr = listener.local_addr().unwrap();
    let server = serve_once(listener, Codec::new());
    // Sizes from 0 to 200 KiB, deterministic.
    let frames: Vec<Vec<u8>> = (0..200u32)
        .map(|i| vec![(i % 251) as u8; ((i * 7919) % 1000) as usize * (1 + (i % 5) as usize * 50)])
        .collect();
    let sent = frames.clone();
    let client = thread::spawn(move || {
        let mut writer = FrameWriter::new(TcpStream::connect(addr).unwrap());
        for frame in &sent {
            writer.write_frame(frame).unwrap();
        }
        writer.flush().unwrap();
    });
    client.join().unwrap();
    assert_eq!(server.join().unwrap(), frames);
}

#[test]
fn a_python_client_written_the_tutorials_way_is_understood() {
    let python = match Command::new("python3").arg("--version").output() {
        Ok(out) if out.status.success() => "python3",
        _ => {
            eprintln!("python3 not found: skipping the interop test");
            return;
        }
    };
    let listener = listener();
    let port = listener.local_addr().unwrap().port();
    // 'i' is native order: the reader uses the machine's order too.
    let server = serve_once(listener, Codec::builder().native_endian().build().unwrap());
    let status = Command::new(python)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/tutorial_client.py"
        ))
        .arg(port.to_string())
        .args(["hello", "jason", "kevin", ""])
        .status()
        .expect("run python3");
    assert!(status.success());
    assert_eq!(
        server.join().unwrap(),
        [&b"hello"[..], b"jason", b"kevin", b""]
    );
}
