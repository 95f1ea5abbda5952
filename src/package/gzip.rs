//! gzip: a `.tgz`/`.tar.gz` is inflated as a stream straight into the tar reader; any other
//! gzip'd file becomes one member named after the name in its header (or the archive's name
//! without `.gz`).

use std::io::{Cursor, Read};

use flate2::read::MultiGzDecoder;

use super::{Format, Unpacker, io_message, names, read_member, sniff, tar};

pub(super) fn open(unpacker: &mut Unpacker<'_>, bytes: &[u8], archive: &str, prefix: &str, depth: u32) -> Format {
    let mut decoder = MultiGzDecoder::new(bytes);
    // Peek at the first tar block to tell a tarball from a single compressed file.
    let mut head = Vec::with_capacity(512);
    // A short file can fail here (bad CRC, trailing garbage) with all its data already inflated:
    // it is still delivered, with the problem.
    let peeked = (&mut decoder).take(512).read_to_end(&mut head);
    if peeked.is_ok() && sniff::is_tar_header(&head) {
        let stream = Cursor::new(head).chain(decoder);
        return tar::read(unpacker, stream, archive, prefix, depth, true);
    }

    let inner = decoder
        .header()
        .and_then(|header| header.filename())
        .map(names::display)
        .unwrap_or_else(|| inner_name(archive));
    let path = format!("{prefix}{inner}");
    if let Err(exhausted) = unpacker.budget.take_file() {
        unpacker.error(archive, exhausted.to_string());
        return Format::Gzip;
    }
    let allowance = unpacker.budget.member_allowance();
    let (rest, problem) = match peeked {
        Ok(_) => read_member(&mut decoder, None, allowance.saturating_sub(head.len() as u64)),
        Err(error) => (Vec::new(), Some(io_message(&error))),
    };
    let mut data = head;
    data.extend_from_slice(&rest);
    unpacker.budget.charge(data.len() as u64);
    if let Some(problem) = problem {
        unpacker.error(archive, format!("gzip: {problem}"));
    }
    let size = data.len() as u64;
    unpacker.deliver(path, data, size, depth);
    Format::Gzip
}

/// `dir/file.js.gz` → `file.js`; `x.tgz` → `x.tar`.
fn inner_name(archive: &str) -> String {
    let base = archive.rsplit(['/', '!']).next().unwrap_or(archive);
    if let Some(stem) = base.strip_suffix(".tgz") {
        format!("{stem}.tar")
    } else if let Some(stem) = base.strip_suffix(".gz") {
        stem.to_string()
    } else {
        format!("{base}.inflated")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_inflated_file() {
        assert_eq!(inner_name("pkg/a.js.gz"), "a.js");
        assert_eq!(inner_name("x.tgz"), "x.tar");
        assert_eq!(inner_name("blob"), "blob.inflated");
    }
}
