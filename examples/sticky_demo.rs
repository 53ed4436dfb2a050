//! The sticky-packet problem and its fix, over loopback TCP.
//!
//! `cargo run --example sticky_demo`

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use lenframe::io::{FrameReader, FrameWriter};

const WORDS: [&str; 3] = ["hello", "jason", "kevin"];

fn main() -> std::io::Result<()> {
    println!("1. Three sends, no framing: the server's reads return whatever has arrived.");
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let mut client = TcpStream::connect(addr)?;
    let (mut server, _) = listener.accept()?;
    for word in WORDS {
        client.write_all(word.as_bytes())?;
    }
    drop(client);
    // Let the three small segments land before the first read, as in the tutorial.
    thread::sleep(Duration::from_millis(100));
    let mut buf = [0u8; 1024];
    loop {
        let n = server.read(&mut buf)?;
        println!("   recv(1024) -> {:?}", String::from_utf8_lossy(&buf[..n]));
        if n == 0 {
            break;
        }
    }

    println!("2. The same three sends through lenframe: one frame per send, whatever the cut.");
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut writer = FrameWriter::new(TcpStream::connect(listener.local_addr()?)?);
    let (server, _) = listener.accept()?;
    for word in WORDS {
        writer.write_frame(word.as_bytes())?;
    }
    drop(writer); // flushes: all three frames leave in a single write
    for frame in FrameReader::new(server) {
        println!("   read_frame() -> {:?}", String::from_utf8_lossy(&frame?));
    }
    println!("   read_frame() -> None (a clean end)");
    Ok(())
}
