//! Manifest parsing: `package.json`, `manifest.json`, a wheel's `METADATA` and
//! `entry_points.txt`, an sdist's `PKG-INFO`, with entry points resolved against member paths.
//! Input: a selector byte (which manifest), then member paths one per line, a NUL, the
//! manifest's text.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use telltale::package::metadata::read_manifests;

const MANIFESTS: [&str; 6] = [
    "package/package.json",
    "extension/package.json",
    "manifest.json",
    "pkg-1.0.dist-info/METADATA",
    "pkg-1.0/PKG-INFO",
    "inner.zip!/package.json",
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let manifest = MANIFESTS[usize::from(selector) % MANIFESTS.len()];
    let (listing, text) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (&[][..], rest),
    };
    let mut paths: BTreeSet<String> = String::from_utf8_lossy(listing).lines().map(str::to_string).collect();
    paths.insert(manifest.to_string());
    // Every other listed member reads as the same text: entry_points.txt, nested manifests.
    let manifests = read_manifests(&paths, |path| paths.contains(path).then_some(text));
    for manifest in &manifests {
        for entry in &manifest.entry_points {
            if let Some(file) = &entry.file {
                assert!(paths.contains(file), "{file} is not a member");
            }
        }
    }
});
