//! Request decoding and conversion never panic, whatever the bytes (see
//! `common/decode_convert.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../common/decode_convert.rs"]
mod decode_convert;

fuzz_target!(|data: &[u8]| decode_convert::check(data));
