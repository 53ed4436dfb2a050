//! The `cobs` crate: `CobsDecoderOwned`, a push parser of COBS frames that returns one frame per
//! push with the bytes it used.

use lenframe::testkit::{push_parser, Checker};
use proptest::collection::vec;
use proptest::prelude::*;

#[allow(clippy::ptr_arg)] // an encoder of `Vec<u8>` messages takes `&Vec<u8>`
fn encode(message: &Vec<u8>, dst: &mut bytes::BytesMut) {
    dst.extend_from_slice(&cobs::encode_vec(message));
    dst.extend_from_slice(&[0]);
}

#[test]
fn cobs_decoder_owned() {
    // Glue: the frame is in the decoder's buffer; one line copies it out with the bytes used.
    let decoder = push_parser(|| {
        let mut decoder = cobs::CobsDecoderOwned::new(512);
        move |pushed: &[u8]| {
            let report = decoder.push(pushed)?;
            Ok::<_, cobs::DecodeError>(
                report.map(|r| (decoder.dest()[..r.frame_size()].to_vec(), r.parsed_size())),
            )
        }
    });
    Checker::new(decoder, encode, vec(any::<u8>(), 1..300)).assert();
}
