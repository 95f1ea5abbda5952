//! Malformed and hostile archives, all built in code (tests/support/archives.rs): each one must
//! be reported as a `PackageError` naming the file and the problem, must never panic, and must
//! not stop the honest members around it from being read.

mod support;

use support::archives::{Tar, Zip, ZipMember, crx, gzip, noise, tar_header};
use support::{open, run_cli, run_cli_raw, small_limits};
use telltale::package::{Format, Limits};

const INDEX: &[u8] = b"module.exports = 1;\n";
const README: &[u8] = b"# a package\n";

/// Two honest members, for archives that go wrong after them.
fn honest_tar() -> Tar {
    Tar::new()
        .file(b"package/index.js", INDEX)
        .file(b"package/README.md", README)
}

// --- truncation and damage ---------------------------------------------------------------------

#[test]
fn truncated_tgz_keeps_the_members_before_the_cut() {
    let tar = honest_tar().file(b"package/big.bin", &noise(64 << 10, 1)).finish();
    let tgz = gzip(&tar);
    let opened = open("pkg.tgz", &tgz[..tgz.len() / 2], small_limits());
    assert_eq!(opened.format, Format::TarGz);
    opened.assert_read("package/index.js", INDEX);
    opened.assert_read("package/README.md", README);
    assert!(!opened.member("package/big.bin").is_complete());
    opened.assert_errors(&[("package/big.bin", "data ends early (truncated)")]);
}

#[test]
fn truncated_tgz_inside_the_header_block_is_reported() {
    let tar = honest_tar().finish();
    let tgz = gzip(&tar);
    let opened = open("pkg.tgz", &tgz[..12], small_limits());
    // Less than a tar header inflated: what there is becomes one file, not a tar.
    assert_eq!(opened.format, Format::Gzip);
    let inflated = &opened.member("pkg.tar").data;
    assert!(tar.starts_with(inflated), "{inflated:?}");
    opened.assert_errors(&[("pkg.tgz", "gzip: data ends early (truncated)")]);
}

#[test]
fn truncated_zip_recovers_members_from_local_headers() {
    let zip = Zip::new().file(b"index.js", INDEX).file(b"README.md", README).build();
    // Cut inside the central directory: the index is gone, the local headers are whole.
    let opened = open("ext.vsix", &zip.bytes[..zip.central_directory + 10], small_limits());
    assert_eq!(opened.format, Format::Zip);
    opened.assert_read("index.js", INDEX);
    opened.assert_read("README.md", README);
    opened.assert_errors(&[("ext.vsix", "zip central directory is unreadable")]);
    assert!(opened.errors[0].message.contains("recovered from local headers"));
}

#[test]
fn zip_cut_inside_a_member_keeps_the_members_before_it() {
    let zip = Zip::new()
        .file(b"index.js", INDEX)
        .file(b"big.bin", &noise(8 << 10, 2))
        .build();
    let opened = open("a.zip", &zip.bytes[..zip.central_directory / 2], small_limits());
    opened.assert_read("index.js", INDEX);
    assert_eq!(opened.errors[0].file, "a.zip");
    assert!(opened.errors[0].message.contains("central directory is unreadable"));
    assert!(
        opened.errors.len() >= 2,
        "the damaged member is reported too: {:?}",
        opened.errors
    );
}

#[test]
fn corrupt_gzip_crc_on_a_single_file_is_reported() {
    let mut gz = gzip(b"console.log('hello')\n");
    let crc_at = gz.len() - 8;
    gz[crc_at] ^= 0xff;
    let opened = open("hello.js.gz", &gz, small_limits());
    assert_eq!(opened.format, Format::Gzip);
    opened.assert_errors(&[("hello.js.gz", "gzip: damaged data")]);
    assert_eq!(opened.member("hello.js").data, b"console.log('hello')\n");
}

#[test]
fn corrupt_gzip_crc_on_a_tarball_is_reported() {
    let mut tgz = gzip(&honest_tar().finish());
    let crc_at = tgz.len() - 8;
    tgz[crc_at] ^= 0xff;
    let opened = open("pkg.tgz", &tgz, small_limits());
    opened.assert_read("package/index.js", INDEX);
    opened.assert_read("package/README.md", README);
    opened.assert_errors(&[("pkg.tgz", "gzip: damaged data")]);
}

#[test]
fn zip_with_damaged_central_directory_falls_back_to_local_headers() {
    let mut zip = Zip::new()
        .file(b"extension/index.js", INDEX)
        .file(b"extension/README.md", README)
        .build();
    // Point the end record's directory offset past the end of the file.
    let offset_at = zip.bytes.len() - 6;
    zip.bytes[offset_at..offset_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let opened = open("ext.vsix", &zip.bytes, small_limits());
    opened.assert_read("extension/index.js", INDEX);
    opened.assert_read("extension/README.md", README);
    opened.assert_errors(&[("ext.vsix", "members recovered from local headers")]);

    // A broken central header signature: the local headers run into it and say so.
    let mut zip = Zip::new()
        .file(b"extension/index.js", INDEX)
        .file(b"extension/README.md", README)
        .build();
    zip.bytes[zip.central_directory] = b'X';
    let opened = open("ext.vsix", &zip.bytes, small_limits());
    opened.assert_read("extension/index.js", INDEX);
    opened.assert_read("extension/README.md", README);
    opened.assert_errors(&[
        ("ext.vsix", "members recovered from local headers"),
        (
            "ext.vsix",
            "zip local headers end in damaged data: invalid Zip archive: Invalid local file header",
        ),
    ]);
}

#[test]
fn tar_header_with_bad_checksum_stops_the_archive_and_says_how_far_it_got() {
    let mut bad = tar_header(b"package/evil.js", 4);
    bad[148] = b'7'; // checksum no longer adds up
    let tar = honest_tar().raw(&bad).raw(&[b'x'; 512]).finish();
    let opened = open("pkg.tar", &tar, small_limits());
    assert_eq!(opened.format, Format::Tar);
    opened.assert_read("package/index.js", INDEX);
    opened.assert_read("package/README.md", README);
    opened.assert_errors(&[("pkg.tar", "2 files were read before it")]);
    assert!(opened.errors[0].message.contains("checksum"), "{:?}", opened.errors);
}

#[test]
fn declared_size_larger_than_the_data_is_a_truncated_member() {
    // The header promises 100 KiB, the archive ends after 10 bytes.
    let mut tar = honest_tar().finish();
    tar.truncate(tar.len() - 1024); // drop the end marker
    tar.extend_from_slice(&tar_header(b"package/liar.js", 100 << 10));
    tar.extend_from_slice(b"0123456789");
    let opened = open("pkg.tar", &tar, small_limits());
    opened.assert_read("package/index.js", INDEX);
    let liar = opened.member("package/liar.js");
    assert_eq!(liar.size, 100 << 10);
    assert_eq!(liar.data, b"0123456789");
    assert!(!liar.is_complete());
    // The tar reader hands out what is there; the gap shows when it skips to the next header.
    opened.assert_errors(&[(
        "pkg.tar",
        "damaged tar data: unexpected EOF during skip; 3 files were read before it",
    )]);
}

#[test]
fn huge_declared_size_is_refused_before_reading() {
    let tar = Tar::new()
        .entry(b"package/huge.bin", tar::EntryType::Regular, b"tiny", |h| {
            h.set_size(1 << 40)
        })
        .finish();
    let mut tar = tar;
    // The declared terabyte is not there; what follows the header is the end marker.
    tar.truncate(512);
    tar.extend_from_slice(&[0; 1024]);
    let opened = open("pkg.tar", &tar, small_limits());
    let huge = opened.member("package/huge.bin");
    assert!(huge.data.is_empty());
    assert_eq!(huge.size, 1 << 40);
    opened.assert_errors(&[
        (
            "package/huge.bin",
            "not read: member is larger than the limit of 256.0 KiB",
        ),
        (
            "pkg.tar",
            "damaged tar data: unexpected EOF during skip; 1 files were read before it",
        ),
    ]);
}

#[test]
fn zip_member_with_unknown_compression_is_skipped() {
    let mut lzma = ZipMember::stored(b"weird.bin", b"not really lzma");
    lzma.method = 14;
    let zip = Zip::new()
        .file(b"index.js", INDEX)
        .member(lzma)
        .file(b"README.md", README)
        .finish();
    let opened = open("a.zip", &zip, small_limits());
    opened.assert_read("index.js", INDEX);
    opened.assert_read("README.md", README);
    assert!(opened.member("weird.bin").data.is_empty());
    opened.assert_errors(&[("weird.bin", "damaged data: compression method not supported: 14")]);
}

#[test]
fn zip_member_with_wrong_crc_is_reported() {
    let mut lying = ZipMember::deflated(b"lib/a.js", INDEX);
    lying.crc ^= 1;
    let zip = Zip::new().member(lying).file(b"README.md", README).finish();
    let opened = open("a.zip", &zip, small_limits());
    opened.assert_read("README.md", README);
    opened.assert_errors(&[("lib/a.js", "damaged data")]);
    assert!(
        opened.errors[0].message.to_lowercase().contains("checksum"),
        "{:?}",
        opened.errors
    );
}

// --- encryption, bombs and budgets -------------------------------------------------------------

#[test]
fn encrypted_zip_member_is_listed_not_read() {
    let mut secret = ZipMember::stored(b"secret.js", b"\x01\x02garbled");
    secret.flags |= 1;
    let zip = Zip::new()
        .file(b"index.js", INDEX)
        .member(secret)
        .file(b"README.md", README)
        .finish();
    let opened = open("a.zip", &zip, small_limits());
    opened.assert_read("index.js", INDEX);
    opened.assert_read("README.md", README);
    opened.assert_errors(&[("secret.js", "encrypted member: cannot be read without its password")]);
}

#[test]
fn zip_bomb_with_honest_size_is_refused_before_inflating() {
    let zeros = vec![0u8; 8 << 20];
    let zip = Zip::new()
        .file(b"index.js", INDEX)
        .file(b"bomb.bin", &zeros)
        .file(b"README.md", README)
        .finish();
    assert!(zip.len() < 64 << 10, "the bomb is small: {}", zip.len());
    let opened = open("bomb.zip", &zip, small_limits());
    opened.assert_read("index.js", INDEX);
    opened.assert_read("README.md", README);
    let bomb = opened.member("bomb.bin");
    assert!(bomb.data.is_empty());
    assert_eq!(bomb.size, 8 << 20);
    opened.assert_errors(&[("bomb.bin", "not read: member is larger than the limit of 256.0 KiB")]);
}

#[test]
fn zip_bomb_lying_about_its_size_stops_at_the_allowance() {
    let zeros = vec![0u8; 8 << 20];
    let mut bomb = ZipMember::deflated(b"bomb.bin", &zeros);
    bomb.size = 1000; // claims to be small
    let zip = Zip::new().member(bomb).file(b"README.md", README).finish();
    let opened = open("bomb.zip", &zip, small_limits());
    opened.assert_read("README.md", README);
    let read = opened.member("bomb.bin").data.len() as u64;
    assert!(read <= 256 << 10, "read {read} bytes");
    assert_eq!(opened.errors.len(), 1, "{:?}", opened.errors);
    assert_eq!(opened.errors[0].file, "bomb.bin");
}

#[test]
fn gzip_bomb_stops_at_the_member_allowance() {
    let gz = gzip(&vec![b'a'; 8 << 20]);
    let opened = open("data.txt.gz", &gz, small_limits());
    assert_eq!(opened.member("data.txt").data.len(), 256 << 10);
    // The allowance named is what was left after the 512 bytes peeked to look for a tar header.
    opened.assert_errors(&[(
        "data.txt.gz",
        "gzip: inflates past its allowance of 255.5 KiB: read stopped (possible zip bomb)",
    )]);
}

#[test]
fn tar_of_more_files_than_the_budget_stops_at_the_budget() {
    let mut tar = Tar::new();
    for i in 0..1500 {
        tar = tar.file(format!("package/f{i}.js").as_bytes(), b"1");
    }
    let opened = open("many.tgz", &gzip(&tar.finish()), small_limits());
    assert_eq!(opened.members.len(), 1000);
    opened.assert_read("package/f999.js", b"1");
    opened.assert_errors(&[("many.tgz", "the package holds more than 1000 files (budget reached)")]);
}

#[test]
fn total_bytes_budget_is_shared_by_all_members() {
    let chunk = noise(200 << 10, 3);
    let mut tar = Tar::new();
    for i in 0..6 {
        tar = tar.file(format!("package/c{i}.bin").as_bytes(), &chunk);
    }
    let opened = open("pkg.tar", &tar.finish(), small_limits());
    // 1 MiB total: five 200 KiB members fit, the sixth does not.
    for i in 0..5 {
        opened.assert_read(&format!("package/c{i}.bin"), &chunk);
    }
    assert!(opened.member("package/c5.bin").data.is_empty());
    opened.assert_errors(&[(
        "package/c5.bin",
        "not read: the package inflates past the budget of 1.0 MiB in total",
    )]);
}

#[test]
fn nested_archives_are_opened_down_to_the_depth_limit() {
    // inner.zip in level3.zip in level2.zip in level1.zip in outer.zip: five levels.
    let mut archive = Zip::new().file(b"deep.js", INDEX).finish();
    for level in (1..=4).rev() {
        archive = Zip::new()
            .file(format!("l{level}.js").as_bytes(), INDEX)
            .file(format!("n{level}.zip").as_bytes(), &archive)
            .finish();
    }
    let limits = Limits {
        max_depth: 3,
        ..small_limits()
    };
    let opened = open("outer.zip", &archive, limits);
    opened.assert_read("l1.js", INDEX);
    opened.assert_read("n1.zip!/l2.js", INDEX);
    opened.assert_read("n1.zip!/n2.zip!/l3.js", INDEX);
    opened.assert_read("n1.zip!/n2.zip!/n3.zip!/l4.js", INDEX);
    // Three nested levels are opened; the fourth is listed as an opaque member.
    let too_deep = opened.member("n1.zip!/n2.zip!/n3.zip!/n4.zip");
    assert_eq!(too_deep.archive, None);
    assert!(
        !opened.paths().iter().any(|p| p.contains("n4.zip!/")),
        "{:?}",
        opened.paths()
    );
    opened.assert_errors(&[(
        "n1.zip!/n2.zip!/n3.zip!/n4.zip",
        "nested archive not opened: archives nest deeper than the limit of 3",
    )]);
}

#[test]
fn nested_bomb_cannot_hide_behind_nesting() {
    // Each nested archive is within the member limit, together they pass the total budget.
    let inner = Zip::new().file(b"chunk.bin", &noise(200 << 10, 4)).finish();
    let mut outer = Zip::new();
    for i in 0..8 {
        outer = outer.file(format!("part{i}.zip").as_bytes(), &inner);
    }
    let opened = open("outer.zip", &outer.finish(), small_limits());
    let budget_errors: Vec<_> = opened
        .errors
        .iter()
        .filter(|e| e.message.contains("budget of 1.0 MiB in total"))
        .collect();
    assert!(!budget_errors.is_empty(), "{:?}", opened.errors);
    let inflated: usize = opened.members.iter().map(|m| m.data.len()).sum();
    assert!(inflated <= 1 << 20, "inflated {inflated} bytes");
}

// --- names -------------------------------------------------------------------------------------

#[test]
fn path_traversal_names_are_reported_and_shown_as_text() {
    let tar = Tar::new()
        .file(b"../../../etc/cron.d/evil", b"* * * * * root sh\n")
        .file(b"package/index.js", INDEX)
        .finish();
    let opened = open("pkg.tar", &tar, small_limits());
    opened.assert_read("../../../etc/cron.d/evil", b"* * * * * root sh\n");
    opened.assert_read("package/index.js", INDEX);
    opened.assert_errors(&[(
        "../../../etc/cron.d/evil",
        "name climbs out of the archive with '..' (path traversal); shown as text only",
    )]);
}

#[test]
fn path_traversal_in_zip_with_backslashes_is_reported() {
    let zip = Zip::new()
        .file(b"..\\..\\evil.bat", b"echo\r\n")
        .file(b"index.js", INDEX)
        .finish();
    let opened = open("a.zip", &zip, small_limits());
    opened.assert_read("index.js", INDEX);
    opened.assert_errors(&[("..\\..\\evil.bat", "path traversal")]);
}

#[test]
fn absolute_names_are_reported() {
    let tar = Tar::new()
        .file(b"/etc/passwd", b"root:x:0:0\n")
        .file(b"package/index.js", INDEX)
        .finish();
    let opened = open("pkg.tar", &tar, small_limits());
    opened.assert_read("package/index.js", INDEX);
    // The tar crate reads the name as it is stored; the display keeps it.
    opened.assert_errors(&[("/etc/passwd", "name is an absolute path")]);

    let zip = Zip::new()
        .file(b"C:\\Windows\\evil.dll", b"MZ")
        .file(b"index.js", INDEX)
        .finish();
    let opened = open("a.zip", &zip, small_limits());
    opened.assert_read("index.js", INDEX);
    opened.assert_errors(&[("C:\\Windows\\evil.dll", "name is an absolute path")]);
}

#[test]
fn nul_in_a_zip_name_is_reported_and_escaped() {
    let zip = Zip::new()
        .file(b"index.js\0.png", INDEX)
        .file(b"README.md", README)
        .finish();
    let opened = open("a.zip", &zip, small_limits());
    opened.assert_read("index.js\\u{0}.png", INDEX);
    opened.assert_read("README.md", README);
    opened.assert_errors(&[("index.js\\u{0}.png", "name contains a NUL byte")]);
}

#[test]
fn invalid_utf8_names_are_reported_and_shown_lossily() {
    let tar = Tar::new()
        .file(b"package/bad\xff\xfe.js", INDEX)
        .file(b"package/README.md", README)
        .finish();
    let opened = open("pkg.tar", &tar, small_limits());
    opened.assert_read("package/bad\u{fffd}\u{fffd}.js", INDEX);
    opened.assert_read("package/README.md", README);
    opened.assert_errors(&[(
        "package/bad\u{fffd}\u{fffd}.js",
        "name is not valid UTF-8 (shown with replacement characters)",
    )]);

    // zip: the name flag says UTF-8 is not promised, and the bytes are not UTF-8 either.
    let zip = Zip::new()
        .file(b"caf\xe9.js", INDEX)
        .file(b"README.md", README)
        .finish();
    let opened = open("a.zip", &zip, small_limits());
    opened.assert_read("caf\u{fffd}.js", INDEX);
    opened.assert_errors(&[("caf\u{fffd}.js", "name is not valid UTF-8")]);
}

#[test]
fn bidi_and_control_characters_in_names_are_escaped() {
    let tar = Tar::new()
        .file("package/invoice\u{202e}sj.exe".as_bytes(), b"MZ")
        .file(b"package/\x1b[2Jclear.js", INDEX)
        .file(b"package/README.md", README)
        .finish();
    let opened = open("pkg.tar", &tar, small_limits());
    opened.assert_read("package/invoice\\u{202e}sj.exe", b"MZ");
    opened.assert_read("package/\\u{1b}[2Jclear.js", INDEX);
    opened.assert_read("package/README.md", README);
    opened.assert_errors(&[
        (
            "package/invoice\\u{202e}sj.exe",
            "name contains control, bidi or invisible characters (shown escaped)",
        ),
        (
            "package/\\u{1b}[2Jclear.js",
            "name contains control, bidi or invisible characters (shown escaped)",
        ),
    ]);
    for member in &opened.members {
        assert!(
            !member.path.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{:?}",
            member.path
        );
    }
}

#[test]
fn duplicate_names_are_all_delivered() {
    let tar = Tar::new()
        .file(b"package/index.js", b"first")
        .file(b"package/index.js", b"second")
        .finish();
    let opened = open("pkg.tar", &tar, small_limits());
    let copies: Vec<&[u8]> = opened
        .members
        .iter()
        .filter(|m| m.path == "package/index.js")
        .map(|m| m.data.as_slice())
        .collect();
    assert_eq!(copies, [b"first".as_slice(), b"second".as_slice()]);
    opened.assert_errors(&[]);
}

#[test]
fn duplicate_names_in_a_zip_are_not_lost() {
    let zip = Zip::new()
        .file(b"index.js", b"first")
        .file(b"index.js", b"second")
        .file(b"README.md", README)
        .finish();
    let opened = open("a.zip", &zip, small_limits());
    opened.assert_read("README.md", README);
    let copies: Vec<&[u8]> = opened
        .members
        .iter()
        .filter(|m| m.path == "index.js")
        .map(|m| m.data.as_slice())
        .collect();
    assert!(!copies.is_empty(), "{:?}", opened.paths());
    assert!(
        copies.contains(&b"second".as_slice()) || !opened.errors.is_empty(),
        "a shadowed member is either read or reported: {copies:?} {:?}",
        opened.errors
    );
}

// --- entries that are not files ----------------------------------------------------------------

#[test]
fn links_and_devices_in_tar_are_reported_not_followed() {
    let tar = Tar::new()
        .special(b"package/passwd", tar::EntryType::Symlink, b"/etc/passwd")
        .special(b"package/shadow", tar::EntryType::Link, b"../../etc/shadow")
        .special(b"package/tty", tar::EntryType::Char, b"")
        .special(b"package/sda", tar::EntryType::Block, b"")
        .special(b"package/pipe", tar::EntryType::Fifo, b"")
        .file(b"package/index.js", INDEX)
        .finish();
    let opened = open("pkg.tar", &tar, small_limits());
    assert_eq!(opened.paths(), ["package/index.js"]);
    opened.assert_errors(&[
        ("package/passwd", "symbolic link to '/etc/passwd': not followed"),
        ("package/shadow", "hard link to '../../etc/shadow': not followed"),
        ("package/tty", "device or FIFO entry: ignored"),
        ("package/sda", "device or FIFO entry: ignored"),
        ("package/pipe", "device or FIFO entry: ignored"),
    ]);
}

#[test]
fn symlink_in_zip_is_reported_not_followed() {
    let mut link = ZipMember::stored(b"config", b"/home/user/.ssh/id_rsa");
    link.unix_mode = 0o120777;
    let zip = Zip::new().member(link).file(b"index.js", INDEX).finish();
    let opened = open("a.zip", &zip, small_limits());
    assert_eq!(opened.paths(), ["index.js"]);
    opened.assert_errors(&[("config", "symbolic link: not followed")]);
}

// --- crx ---------------------------------------------------------------------------------------

#[test]
fn crx_with_unknown_version_is_reported() {
    let zip = Zip::new().file(b"manifest.json", b"{}").finish();
    let opened = open("ext.crx", &crx(9, &[0], b"", &zip), small_limits());
    assert_eq!(opened.format, Format::Crx);
    assert!(opened.members.is_empty());
    opened.assert_errors(&[("ext.crx", "crx header: unknown version 9")]);
}

#[test]
fn crx_header_longer_than_the_file_is_reported() {
    let zip = Zip::new().file(b"manifest.json", b"{}").finish();
    let opened = open("ext.crx", &crx(3, &[0x7fff_ffff], b"", &zip), small_limits());
    assert!(opened.members.is_empty());
    opened.assert_errors(&[("ext.crx", "crx header: header claims")]);

    // Version 2: key and signature lengths that overflow together.
    let opened = open("ext.crx", &crx(2, &[u32::MAX, u32::MAX], b"", &zip), small_limits());
    assert!(opened.members.is_empty());
    assert_eq!(opened.errors.len(), 1, "{:?}", opened.errors);
    assert!(opened.errors[0].message.starts_with("crx header: "));
}

#[test]
fn crx_cut_inside_its_header_is_reported() {
    let opened = open("ext.crx", b"Cr24\x03\0\0", small_limits());
    opened.assert_errors(&[("ext.crx", "crx header: file ends inside the header")]);
}

#[test]
fn crx_with_honest_header_and_damaged_zip_recovers_members() {
    let zip = Zip::new()
        .file(b"manifest.json", b"{}")
        .file(b"background.js", INDEX)
        .build();
    let cut = &zip.bytes[..zip.central_directory];
    let opened = open("ext.crx", &crx(3, &[4], b"\x0a\x02\x08\x01", cut), small_limits());
    assert_eq!(opened.format, Format::Crx);
    opened.assert_read("manifest.json", b"{}");
    opened.assert_read("background.js", INDEX);
    opened.assert_errors(&[
        ("ext.crx", "Could not find EOCD); members recovered from local headers"),
        ("ext.crx", "zip local headers end in damaged data"),
    ]);
}

// --- what is not an archive, or not one we open ------------------------------------------------

#[test]
fn unsupported_compressions_are_named() {
    let cases: [(&str, &[u8], &str); 5] = [
        ("pkg.tar.bz2", b"BZh91AY&SY\0\0\0\0", "bzip2"),
        ("pkg.tar.xz", b"\xfd7zXZ\0\0\x04\xe6\xd6\xb4\x46", "xz"),
        ("pkg.tar.zst", b"\x28\xb5\x2f\xfd\x24\x00", "zstd"),
        ("pkg.7z", b"7z\xbc\xaf\x27\x1c\0\x04", "7z"),
        ("pkg.rar", b"Rar!\x1a\x07\x01\0", "rar"),
    ];
    for (name, bytes, what) in cases {
        let opened = open(name, bytes, small_limits());
        assert!(opened.members.is_empty(), "{name}: {:?}", opened.paths());
        opened.assert_errors(&[(
            name,
            &format!("{what}-compressed data is not supported; convert it to .tar.gz or .zip"),
        )]);
    }
}

#[test]
fn unsupported_compression_inside_an_archive_is_kept_as_a_member() {
    let tar = Tar::new()
        .file(b"package/vendor.tar.xz", b"\xfd7zXZ\0\0\x04")
        .file(b"package/index.js", INDEX)
        .finish();
    let opened = open("pkg.tar", &tar, small_limits());
    opened.assert_read("package/vendor.tar.xz", b"\xfd7zXZ\0\0\x04");
    assert_eq!(opened.member("package/vendor.tar.xz").archive, None);
    opened.assert_read("package/index.js", INDEX);
}

#[test]
fn empty_file_is_one_empty_member() {
    let opened = open("empty.tgz", b"", small_limits());
    assert_eq!(opened.format, Format::File);
    opened.assert_read("empty.tgz", b"");
    opened.assert_errors(&[]);
}

#[test]
fn zero_length_archives_hold_no_members() {
    // A zip that is only its end record.
    let opened = open("empty.zip", &Zip::new().finish(), small_limits());
    assert_eq!(opened.format, Format::Zip);
    assert!(opened.members.is_empty());
    opened.assert_errors(&[]);

    // A gzip of nothing: one empty inflated file.
    let opened = open("empty.js.gz", &gzip(b""), small_limits());
    assert_eq!(opened.format, Format::Gzip);
    opened.assert_read("empty.js", b"");
    opened.assert_errors(&[]);

    // A tar that is only its end marker is not recognised as a tar at all.
    let opened = open("empty.tar", &Tar::new().finish(), small_limits());
    assert_eq!(opened.format, Format::File);
    opened.assert_errors(&[]);
}

#[test]
fn gzip_of_something_that_is_not_a_tar_is_one_file() {
    let script = b"#!/usr/bin/env node\nrequire('./cli')\n".repeat(40);
    let opened = open("cli.js.gz", &gzip(&script), small_limits());
    assert_eq!(opened.format, Format::Gzip);
    opened.assert_read("cli.js", &script);
    opened.assert_errors(&[]);

    // A .tgz that inflates to a non-tar is named after the archive.
    let opened = open("pkg.tgz", &gzip(b"not a tar"), small_limits());
    opened.assert_read("pkg.tar", b"not a tar");
}

#[test]
fn gzip_with_trailing_garbage_keeps_what_inflated() {
    let mut gz = gzip(INDEX);
    gz.extend_from_slice(b"\x1f\x8bgarbage that is no gzip member");
    let opened = open("index.js.gz", &gz, small_limits());
    assert_eq!(opened.member("index.js").data, INDEX);
    opened.assert_errors(&[("index.js.gz", "gzip: damaged data")]);
}

#[test]
fn binary_garbage_is_one_opaque_member() {
    for seed in 1..20 {
        let bytes = noise(4096, seed);
        let opened = open("blob.bin", &bytes, small_limits());
        opened.assert_read("blob.bin", &bytes);
        opened.assert_errors(&[]);
    }
}

#[test]
fn magic_followed_by_garbage_never_panics() {
    let magics: [&[u8]; 6] = [
        b"\x1f\x8b\x08\0",
        b"PK\x03\x04",
        b"PK\x05\x06",
        b"PK\x07\x08",
        b"Cr24\x03\0\0\0\x10\0\0\0",
        b"Cr24\x02\0\0\0\x04\0\0\0\x04\0\0\0",
    ];
    for magic in magics {
        for seed in 1..40 {
            for len in [0, 1, 17, 100, 600, 5000] {
                let mut bytes = magic.to_vec();
                bytes.extend_from_slice(&noise(len, seed));
                let opened = open("x", &bytes, small_limits());
                // Either garbage was reported, or (for an empty-looking zip) nothing was found.
                assert!(
                    !opened.errors.is_empty() || opened.members.len() <= 1,
                    "{magic:?} + {len}: {:?}",
                    opened.paths()
                );
            }
        }
    }
}

#[test]
fn truncating_an_honest_package_anywhere_never_panics() {
    let inner = Zip::new().file(b"a.js", INDEX).finish();
    let tar = honest_tar()
        .file(b"package/inner.zip", &inner)
        .file(b"package/data.bin", &noise(3000, 5))
        .finish();
    let packages = [
        gzip(&tar),
        tar.clone(),
        Zip::new()
            .file(b"index.js", INDEX)
            .file(b"nested.tgz", &gzip(&tar))
            .finish(),
        crx(3, &[0], b"", &inner),
    ];
    for package in &packages {
        for cut in (0..package.len()).step_by(7) {
            let opened = open("pkg", &package[..cut], small_limits());
            for member in &opened.members {
                assert!(member.data.len() as u64 <= member.size.max(member.data.len() as u64));
            }
        }
    }
}

// --- the command line --------------------------------------------------------------------------

#[test]
fn cli_damaged_tarball_is_partial_with_errors_in_the_report() {
    let tar = honest_tar().file(b"package/big.bin", &noise(64 << 10, 1)).finish();
    let tgz = gzip(&tar);
    let run = run_cli("pkg.tgz", &tgz[..tgz.len() / 2], &[]);
    assert_eq!(run.exit_code, 3, "{:#}", run.report);
    let errors = run.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "package/big.bin");
    assert!(errors[0].1.contains("data ends early (truncated)"));
    let paths = run.file_paths();
    assert!(paths.contains(&"package/index.js".to_string()), "{paths:?}");
}

#[test]
fn cli_encrypted_member_is_partial() {
    let mut secret = ZipMember::stored(b"secret.js", b"\x01\x02garbled");
    secret.flags |= 1;
    let zip = Zip::new().file(b"index.js", INDEX).member(secret).finish();
    let run = run_cli("a.zip", &zip, &[]);
    assert_eq!(run.exit_code, 3, "{:#}", run.report);
    assert_eq!(
        run.errors(),
        [(
            "secret.js".to_string(),
            "encrypted member: cannot be read without its password".to_string()
        )]
    );
}

#[test]
fn cli_file_budget_is_partial() {
    let mut tar = Tar::new();
    for i in 0..20 {
        tar = tar.file(format!("package/f{i}.js").as_bytes(), b"1");
    }
    let run = run_cli("many.tgz", &gzip(&tar.finish()), &["--max-files", "5"]);
    assert_eq!(run.exit_code, 3, "{:#}", run.report);
    assert_eq!(
        run.errors(),
        [(
            "many.tgz".to_string(),
            "the package holds more than 5 files (budget reached)".to_string()
        )]
    );
}

#[test]
fn cli_unsupported_compression_is_partial() {
    let run = run_cli("pkg.tar.xz", b"\xfd7zXZ\0\0\x04\xe6\xd6\xb4\x46", &[]);
    assert_eq!(run.exit_code, 3, "{:#}", run.report);
    let errors = run.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].1.contains("xz-compressed data is not supported"));
}

#[test]
fn cli_garbage_is_scanned_as_one_file() {
    let run = run_cli("blob.bin", &noise(2048, 9), &[]);
    assert_eq!(run.exit_code, 0, "{:#}", run.report);
    assert!(run.errors().is_empty());
}

#[test]
fn cli_missing_file_is_fatal() {
    let run = run_cli_raw(&["scan", "/nonexistent/telltale/pkg.tgz", "--quiet"]);
    assert_eq!(run.exit_code, 2);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("telltale: cannot open /nonexistent/telltale/pkg.tgz"),
        "{}",
        run.stderr
    );
}

#[test]
fn cli_bad_usage_is_fatal() {
    let run = run_cli_raw(&["scan", "x.tgz", "--format", "yaml"]);
    assert_eq!(run.exit_code, 2);
    assert!(run.stderr.contains("invalid value 'yaml'"), "{}", run.stderr);
}

/// A base64 literal holding a gzip bomb (or many) unpacks within the package's limits and the
/// budget strings share: the scan names the string and goes on.
#[test]
fn archive_bombs_in_string_literals_stop_at_the_budget() {
    let bomb = gzip(&vec![0u8; 8 << 20]);
    let literal = base64(&bomb);
    let code = format!("const a=\"{literal}\";const b=\"{literal}\";module.exports=[a,b];\n");
    // Each bomb alone may inflate up to the whole allowance; together they share it.
    let limits = Limits {
        max_member_bytes: 1 << 20,
        ..small_limits()
    };
    let options = telltale::scan::ScanOptions {
        limits,
        ..Default::default()
    };
    let report = telltale::scan::scan(
        telltale::scan::Input::Bytes {
            name: "bombs.js",
            bytes: code.as_bytes(),
        },
        &options,
        &mut |_| {},
    );
    let strings: Vec<&str> = report
        .files
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| p.contains("!/string@"))
        .collect();
    assert!(!strings.is_empty(), "the literals are opened: {:?}", report.files);
    let inflated: u64 = report
        .files
        .iter()
        .filter(|f| f.path.contains("!/string@") && !f.path.ends_with(|c: char| c.is_ascii_digit()))
        .map(|f| f.size)
        .sum();
    assert!(
        inflated <= 1 << 20,
        "strings inflated {inflated} bytes: {:#?}",
        report.files
    );
    assert!(
        report
            .errors
            .iter()
            .any(|e| e.file.starts_with("bombs.js!/string@") && e.message.contains("possible zip bomb")),
        "{:#?}",
        report.errors
    );
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
