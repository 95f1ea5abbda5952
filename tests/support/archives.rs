//! Builders for archives written byte by byte, so a test can make them lie: wrong checksums,
//! sizes that do not match the data, names no honest tool would write, missing directories.

use std::io::Write;

use flate2::Compression;
use flate2::write::{DeflateEncoder, GzEncoder};

/// A tar archive built entry by entry. Headers are GNU headers filled in by hand, so names may
/// hold `..`, control characters or invalid UTF-8, and sizes may disagree with the data.
#[derive(Debug, Default)]
pub struct Tar {
    bytes: Vec<u8>,
}

impl Tar {
    pub fn new() -> Self {
        Tar::default()
    }

    /// A regular file.
    pub fn file(self, name: &[u8], data: &[u8]) -> Self {
        self.entry(name, tar::EntryType::Regular, data, |_| {})
    }

    /// A link, device or other non-file entry pointing at `target`.
    pub fn special(self, name: &[u8], kind: tar::EntryType, target: &[u8]) -> Self {
        self.entry(name, kind, b"", |header| {
            header.as_old_mut().linkname[..target.len()].copy_from_slice(target);
        })
    }

    /// A regular file whose header is changed by `edit` after it is filled in (and before its
    /// checksum is computed, so the header still looks well-formed).
    pub fn entry(
        mut self,
        name: &[u8],
        kind: tar::EntryType,
        data: &[u8],
        edit: impl FnOnce(&mut tar::Header),
    ) -> Self {
        let mut header = tar::Header::new_gnu();
        header.as_old_mut().name[..name.len()].copy_from_slice(name);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_size(data.len() as u64);
        header.set_entry_type(kind);
        edit(&mut header);
        header.set_cksum();
        self.bytes.extend_from_slice(header.as_bytes());
        self.bytes.extend_from_slice(data);
        self.pad();
        self
    }

    /// Raw bytes appended as they are (a damaged header, a stray block).
    pub fn raw(mut self, bytes: &[u8]) -> Self {
        self.bytes.extend_from_slice(bytes);
        self
    }

    /// The archive with its end-of-archive marker (two zero blocks).
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.extend_from_slice(&[0; 1024]);
        self.bytes
    }

    fn pad(&mut self) {
        let rest = self.bytes.len() % 512;
        if rest != 0 {
            self.bytes.resize(self.bytes.len() + 512 - rest, 0);
        }
    }
}

/// One tar header block for a regular file, as a caller can then damage it.
pub fn tar_header(name: &[u8], size: u64) -> [u8; 512] {
    let mut header = tar::Header::new_gnu();
    header.as_old_mut().name[..name.len()].copy_from_slice(name);
    header.set_mode(0o644);
    header.set_size(size);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    *header.as_bytes()
}

/// `bytes` gzip-compressed, with no file name in the header.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("write to memory");
    encoder.finish().expect("write to memory")
}

/// `bytes` as a raw deflate stream (what a zip member holds).
pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("write to memory");
    encoder.finish().expect("write to memory")
}

pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
}

/// One member of a [`Zip`]. The fields are what the headers will say, honest by default.
#[derive(Debug, Clone)]
pub struct ZipMember {
    pub name: Vec<u8>,
    /// What is stored after the local header (deflated or not, per `method`).
    pub stored: Vec<u8>,
    /// 0 = stored, 8 = deflate.
    pub method: u16,
    /// General-purpose flags; bit 0 = encrypted.
    pub flags: u16,
    pub crc: u32,
    pub size: u32,
    /// Unix mode in the upper half of the external attributes (`0o120777` = symlink).
    pub unix_mode: u32,
}

impl ZipMember {
    /// A deflated member.
    pub fn deflated(name: &[u8], data: &[u8]) -> Self {
        ZipMember {
            name: name.to_vec(),
            stored: deflate(data),
            method: 8,
            flags: 0,
            crc: crc32(data),
            size: data.len() as u32,
            unix_mode: 0o100644,
        }
    }

    /// A member stored without compression.
    pub fn stored(name: &[u8], data: &[u8]) -> Self {
        ZipMember {
            stored: data.to_vec(),
            method: 0,
            ..ZipMember::deflated(name, data)
        }
    }
}

/// A zip archive built member by member.
#[derive(Debug, Default)]
pub struct Zip {
    members: Vec<ZipMember>,
}

/// A built zip, with where its central directory starts so a test can damage or drop it.
#[derive(Debug)]
pub struct ZipBytes {
    pub bytes: Vec<u8>,
    pub central_directory: usize,
}

impl Zip {
    pub fn new() -> Self {
        Zip::default()
    }

    /// A deflated member.
    pub fn file(self, name: &[u8], data: &[u8]) -> Self {
        self.member(ZipMember::deflated(name, data))
    }

    pub fn member(mut self, member: ZipMember) -> Self {
        self.members.push(member);
        self
    }

    pub fn finish(self) -> Vec<u8> {
        self.build().bytes
    }

    pub fn build(self) -> ZipBytes {
        let mut bytes = Vec::new();
        let mut offsets = Vec::new();
        for member in &self.members {
            offsets.push(bytes.len() as u32);
            bytes.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
            bytes.extend_from_slice(&20u16.to_le_bytes());
            member.common_fields(&mut bytes);
            bytes.extend_from_slice(&0u16.to_le_bytes()); // extra field length
            bytes.extend_from_slice(&member.name);
            bytes.extend_from_slice(&member.stored);
        }
        let central_directory = bytes.len();
        for (member, offset) in self.members.iter().zip(offsets) {
            bytes.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
            bytes.extend_from_slice(&(3u16 << 8 | 20).to_le_bytes()); // made by: unix
            bytes.extend_from_slice(&20u16.to_le_bytes());
            member.common_fields(&mut bytes);
            bytes.extend_from_slice(&0u16.to_le_bytes()); // extra field length
            bytes.extend_from_slice(&0u16.to_le_bytes()); // comment length
            bytes.extend_from_slice(&0u16.to_le_bytes()); // disk number
            bytes.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            bytes.extend_from_slice(&(member.unix_mode << 16).to_le_bytes());
            bytes.extend_from_slice(&offset.to_le_bytes());
            bytes.extend_from_slice(&member.name);
        }
        let directory_size = (bytes.len() - central_directory) as u32;
        let count = self.members.len() as u16;
        bytes.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        bytes.extend_from_slice(&[0; 4]); // disk numbers
        bytes.extend_from_slice(&count.to_le_bytes());
        bytes.extend_from_slice(&count.to_le_bytes());
        bytes.extend_from_slice(&directory_size.to_le_bytes());
        bytes.extend_from_slice(&(central_directory as u32).to_le_bytes());
        bytes.extend_from_slice(&0u16.to_le_bytes()); // comment length
        ZipBytes {
            bytes,
            central_directory,
        }
    }
}

impl ZipMember {
    /// The fields local and central headers share, from the flags to the name length.
    fn common_fields(&self, bytes: &mut Vec<u8>) {
        bytes.extend_from_slice(&self.flags.to_le_bytes());
        bytes.extend_from_slice(&self.method.to_le_bytes());
        bytes.extend_from_slice(&[0, 0, 0x21, 0]); // time 00:00, date 1980-01-01
        bytes.extend_from_slice(&self.crc.to_le_bytes());
        bytes.extend_from_slice(&(self.stored.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&self.size.to_le_bytes());
        bytes.extend_from_slice(&(self.name.len() as u16).to_le_bytes());
    }
}

/// A Chrome extension: `Cr24`, `version`, then the header words given, then the zip.
pub fn crx(version: u32, header_words: &[u32], header: &[u8], zip: &[u8]) -> Vec<u8> {
    let mut bytes = b"Cr24".to_vec();
    bytes.extend_from_slice(&version.to_le_bytes());
    for word in header_words {
        bytes.extend_from_slice(&word.to_le_bytes());
    }
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(zip);
    bytes
}

/// Deterministic noise (xorshift), the same on every run.
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}
