//! tokio-util `Decoder`/`Encoder` for `Codec`.
