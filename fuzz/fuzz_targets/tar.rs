//! The tar reader: the input's first block is made to carry the `ustar` magic, so every input
//! reaches the tar reader whatever its checksum says.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    if bytes.len() < 512 {
        bytes.resize(512, 0);
    }
    bytes[257..262].copy_from_slice(b"ustar");
    telltale_fuzz::open("fuzz.tar", &bytes);
});
