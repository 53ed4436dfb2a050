//! What the test files share. Each file includes this module (`mod support;`) and uses a part of
//! it, hence the `allow` below.

#![allow(dead_code)]

use std::fs;
use std::path::PathBuf;

pub mod default_framing;
pub mod rng;
pub mod tiny;

/// A folder of its own under the system's temporary folder, empty.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lenframe-tests-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// The text a panic was raised with.
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default()
}
