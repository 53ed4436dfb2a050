//! Decoders of published crates, each checked by lenframe's harness the way its README tells a
//! user to. The checks are in `tests/gallery/`, one module per crate; README.md has the table of
//! the glue each needs, and `docs/trophies.md` at the repository's root the bugs they found.
