//! The sticky-packet problem and its fix, over loopback TCP.
//!
//! `cargo run --example sticky`

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

use lenframe::io::{FrameReader, FrameWriter};

const WORDS: [&str; 3] = ["hello", "jason", "kevin"];

/// A connected client and server socket on an ephemeral loopback port.
fn connect() -> std::io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    Ok((client, server))
}

fn main() -> std::io::Result<()> {
    println!("1. The client sends {WORDS:?} as three sends, no framing.");
    let (mut client, mut server) = connect()?;
    for word in WORDS {
        client.write_all(word.as_bytes())?;
    }
    drop(client);
    let mut buf = [0u8; 1024];
    let n = server.read(&mut buf)?;
    println!("   The server's first recv(1024) returns whatever has arrived:");
    println!("   {:?}", String::from_utf8_lossy(&buf[..n]));
    println!("   Three messages or one? The byte stream does not say.\n");

    println!("2. The same three sends through lenframe: a length before each message.");
    let (client, server) = connect()?;
    let mut writer = FrameWriter::new(client);
    for word in WORDS {
        writer.write_frame(word.as_bytes())?;
    }
    drop(writer); // sends the pending frames: all three in a single write, glued on purpose
    for frame in FrameReader::new(server) {
        println!("   read_frame() -> {:?}", String::from_utf8_lossy(&frame?));
    }
    println!("   read_frame() -> None: a clean end, three messages, as sent.");
    Ok(())
}
