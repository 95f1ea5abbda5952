//! The whole dispatch: sniffing by content, then whichever reader that picks, nested archives
//! included.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    telltale_fuzz::open("fuzz.bin", data);
});
