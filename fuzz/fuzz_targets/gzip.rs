//! The gzip reader, and the tar reader behind it. An odd first byte means "compress the rest",
//! so the fuzzer also explores well-formed gzip streams holding damaged tars and plain files;
//! otherwise the rest is taken as a gzip stream, magic forced.
#![no_main]

use std::io::Write;

use flate2::{Compression, write::GzEncoder};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let bytes = if mode & 1 == 1 {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        encoder.write_all(rest).expect("write to memory");
        encoder.finish().expect("write to memory")
    } else {
        let mut bytes = b"\x1f\x8b".to_vec();
        bytes.extend_from_slice(rest);
        bytes
    };
    telltale_fuzz::open("fuzz.tgz", &bytes);
});
