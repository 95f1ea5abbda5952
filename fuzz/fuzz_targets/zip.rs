//! The zip reader: its central directory, and the local-header fallback when that is damaged.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = if data.starts_with(b"PK") {
        data.to_vec()
    } else {
        [b"PK\x03\x04".as_slice(), data].concat()
    };
    telltale_fuzz::open("fuzz.zip", &bytes);
});
