//! Memory, not time: bytes of buffer capacity held by idle connections whose peers each sent a
//! 4-byte header announcing a large frame and then stopped, for lenframe and tokio-util's
//! `LengthDelimitedCodec` on the same input.
//!
//! `cargo bench --bench memory` prints a table; README.md reports it.

use bytes::BytesMut;
use lenframe::Codec;
use tokio_util::codec::{Decoder, LengthDelimitedCodec};

const CONNECTIONS: usize = 1000;
/// What a typical read delivers before the peer stalls: the header and a few body bytes.
const ARRIVED_BODY: usize = 12;

fn stalled_input(announced: u32) -> BytesMut {
    let mut buf = BytesMut::with_capacity(8 * 1024);
    buf.extend_from_slice(&announced.to_be_bytes());
    buf.extend_from_slice(&[0xAB; ARRIVED_BODY]);
    buf
}

/// Total capacity of the buffers after each connection's decoder saw the stalled input.
/// `decode_once` decodes with a fresh codec and says whether a frame came out.
fn capacity_held(mut decode_once: impl FnMut(&mut BytesMut) -> bool, announced: u32) -> usize {
    let mut held = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let mut buf = stalled_input(announced);
        assert!(!decode_once(&mut buf), "the frame is incomplete");
        held.push(buf);
    }
    held.iter().map(BytesMut::capacity).sum()
}

/// Decodes once with a fresh `D`; says whether a frame came out.
fn decode_once<D: Decoder + Default>(buf: &mut BytesMut) -> bool {
    matches!(D::default().decode(buf), Ok(Some(_)))
}

fn main() {
    // `cargo bench` passes `--bench`; this harness takes no options.
    println!("capacity held by {CONNECTIONS} stalled connections (header + {ARRIVED_BODY} body bytes each)");
    println!(
        "{:>14} {:>16} {:>16} {:>8}",
        "announced", "lenframe", "tokio-util", "ratio"
    );
    for announced in [64 * 1024, 1024 * 1024, 8 * 1024 * 1024 - 1] {
        let ours = capacity_held(decode_once::<Codec>, announced);
        let theirs = capacity_held(decode_once::<LengthDelimitedCodec>, announced);
        println!(
            "{:>14} {:>13} KiB {:>13} KiB {:>7.1}x",
            announced,
            ours / 1024,
            theirs / 1024,
            theirs as f64 / ours as f64
        );
    }
}
