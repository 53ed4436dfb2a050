//! The tutorial's interactive client, framed: each line of stdin goes out as one frame (without
//! its newline), and each echoed frame is printed. End of input quits.
//!
//! ```text
//! cargo run --example echo_client -- --connect 127.0.0.1:PORT \
//!     [--length-field-length N] [--little-endian | --native-endian] [--varint] [--max-frame-length N]
//! ```
//!
//! Use the same framing flags as the server.

use std::io::{self, BufRead, Write};
use std::net::{Shutdown, TcpStream};
use std::process::ExitCode;

use lenframe::io::{FrameReader, FrameWriter};

#[path = "support/echo.rs"]
#[allow(dead_code)] // the server half of the module
mod echo;

fn run(options: echo::Options) -> io::Result<()> {
    let stream = TcpStream::connect(&options.addr)?;
    let mut writer = FrameWriter::with_codec(stream.try_clone()?, options.codec.clone());
    let mut reader = FrameReader::with_codec(stream.try_clone()?, options.codec);
    let mut stdout = io::stdout().lock();
    for line in io::stdin().lock().lines() {
        writer.write_frame(line?.as_bytes())?;
        writer.flush()?;
        match reader.read_frame()? {
            Some(echoed) => writeln!(stdout, "{}", String::from_utf8_lossy(&echoed))?,
            None => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ))
            }
        }
    }
    // End of input: say so, and expect a clean end from the server too.
    stream.shutdown(Shutdown::Write)?;
    match reader.read_frame()? {
        None => Ok(()),
        Some(extra) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("an echo nobody asked for: {} bytes", extra.len()),
        )),
    }
}

fn main() -> ExitCode {
    let options = match echo::parse_args(std::env::args().skip(1), "--connect") {
        Ok(options) => options,
        Err(echo::UsageError::Help) => {
            println!(
                "usage: echo_client --connect ADDRESS {}\n",
                echo::FRAMING_FLAGS
            );
            println!("Sends each line of stdin as one frame (without its newline) and prints each echo. End of input quits.\n");
            println!("{}", echo::FRAMING_HELP);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("echo_client: {e}");
            eprintln!(
                "usage: echo_client --connect ADDRESS {}",
                echo::FRAMING_FLAGS
            );
            return ExitCode::from(2);
        }
    };
    match run(options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo_client: {e}");
            ExitCode::FAILURE
        }
    }
}
