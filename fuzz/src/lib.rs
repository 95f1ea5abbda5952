//! What the fuzz targets share: a sink that checks what the package layer hands out, and small
//! limits so a bomb costs milliseconds, not the run.

use telltale::package::{self, Format, Limits, Member, PackageError, Sink};

/// Limits small enough that every input is unpacked quickly, big enough for real structure.
pub fn limits() -> Limits {
    Limits {
        max_total_bytes: 4 << 20,
        max_member_bytes: 1 << 20,
        max_files: 2000,
        max_depth: 4,
    }
}

/// Checks the promises of the package layer on every member and error it hands out.
#[derive(Debug, Default)]
pub struct Checked {
    pub files: u64,
    pub bytes: u64,
}

impl Sink for Checked {
    fn member(&mut self, member: Member) {
        let limits = limits();
        assert!(
            member.data.len() as u64 <= limits.max_member_bytes,
            "{} holds {} bytes, past the member limit",
            member.path,
            member.data.len()
        );
        assert!(
            !member.path.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "unescaped control character in {:?}",
            member.path
        );
        self.files += 1;
        self.bytes += member.data.len() as u64;
        assert!(self.bytes <= limits.max_total_bytes, "total budget passed");
        assert!(self.files <= limits.max_files, "file budget passed");
    }

    fn error(&mut self, error: PackageError) {
        assert!(!error.message.is_empty(), "empty message for {}", error.file);
    }
}

/// Opens `bytes` as the package layer would a dropped file called `name`.
pub fn open(name: &str, bytes: &[u8]) -> Format {
    let mut sink = Checked::default();
    package::open(name, bytes, limits(), &mut sink)
}
