//! npm packages made from fixture folders, as the feature and SARIF tests scan them.

use std::io::Write as _;
use std::path::Path;

/// Every file under `dir`, with its path relative to the fixture folder, sorted.
pub fn collect_files(dir: &Path, prefix: &str, out: &mut Vec<(String, Vec<u8>)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
        let relative = format!("{prefix}{name}");
        if path.is_dir() {
            collect_files(&path, &format!("{relative}/"), out);
        } else {
            out.push((relative, std::fs::read(&path).expect("read fixture file")));
        }
    }
}

/// An npm tarball: every file under `package/`, gzipped, with fixed times so that the bytes
/// (and so the report) do not depend on the checkout.
pub fn npm_tarball(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        builder
            .append_data(&mut header, format!("package/{path}"), data.as_slice())
            .expect("append to tar");
    }
    let tar = builder.into_inner().expect("finish tar");
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gzip.write_all(&tar).expect("gzip tar");
    gzip.finish().expect("finish gzip")
}
