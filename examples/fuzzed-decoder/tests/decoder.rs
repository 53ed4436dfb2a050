//! `tlv::decode` under lenframe's checker: as a property test (proptest's 256 cases from a fixed
//! seed), and over every committed fuzz input (`fuzz/corpus/decode`, crashes first).

mod checker;

use checker::checker;

#[test]
fn decode_survives_every_cut() {
    checker(tlv::decode).assert();
}

#[test]
fn decode_passes_every_committed_fuzz_input() {
    let replayed =
        checker(tlv::decode).replay(concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/decode"));
    assert!(replayed > 0);
}

/// The planted bug of `tlv::planted` is there to show what the second engine finds: proptest's
/// 256 default cases never draw the one kind it needs (this test passing is the claim).
#[test]
fn proptest_defaults_miss_the_planted_bug() {
    assert!(checker(tlv::planted::decode).run().is_ok());
}

/// What the fuzzer found in `tlv::planted` (`fuzz/corpus/planted/crash-*`, committed): replayed,
/// it fails the planted decoder, naming the file, and passes the right one.
#[test]
fn the_fuzzers_find_fails_the_planted_decoder_and_passes_the_right_one() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/corpus/planted");
    assert!(checker(tlv::decode).replay(dir) > 0);
    let caught = std::panic::catch_unwind(|| checker(tlv::planted::decode).replay(dir));
    let report = *caught
        .expect_err("the find fails the planted decoder")
        .downcast::<String>()
        .unwrap();
    assert!(report.contains("crash-"), "names the file: {report}");
    assert!(
        report.contains("kind: 42995"),
        "the legacy kind, 0xA7F3: {report}"
    );
}
