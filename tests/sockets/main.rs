//! Real sockets on 127.0.0.1 (port 0, every wait bounded): `FrameReader` and `FrameWriter` over
//! TCP, tokio's `Framed` with lenframe's codec, and the echo server of
//! `examples/echo_server.rs`, run in-process so that its events can be watched, against well
//! behaved, hostile and careless clients. One module per claim:
//!
//! - `tcp_loopback`: frames cut anywhere by real TCP come out whole;
//! - `tokio_framed`: `Framed<TcpStream, Codec>`;
//! - `echo_loopback`: the echo server serves every client intact;
//! - `echo_server`: the echo server survives hostile and careless clients within its limits.

// The echo server's code, shared with the example binaries.
#[path = "../../examples/support/echo.rs"]
#[allow(dead_code)]
mod echo;

mod echo_loopback;
mod echo_server;
mod tcp_loopback;
mod tokio_framed;
