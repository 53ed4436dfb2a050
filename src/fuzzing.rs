//! Fuzz oracles shared by `fuzz/` and `tests/corpus.rs`. Not a stable API.
