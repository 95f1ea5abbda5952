//! The Chrome extension header in front of a zip.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let bytes = [b"Cr24".as_slice(), data].concat();
    telltale_fuzz::open("fuzz.crx", &bytes);
});
