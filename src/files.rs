//! Classifies each member: what language or binary format it is (by its bytes first, its name
//! second) and whether JavaScript is minified. The kind decides which analysis a file gets.

use serde::{Deserialize, Serialize};

/// What a file is. The names are part of the report's interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    Javascript,
    Typescript,
    Json,
    Python,
    /// A native program: ELF, Mach-O (thin or universal) or PE.
    Executable,
    /// A native Node.js addon (`.node`: a shared library).
    NodeAddon,
    Wasm,
    /// Any other text: docs, shell scripts, HTML, CSS, licences.
    Text,
    /// Any other binary data: images, fonts, archives, compiled classes.
    Binary,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Javascript => "javascript",
            FileKind::Typescript => "typescript",
            FileKind::Json => "json",
            FileKind::Python => "python",
            FileKind::Executable => "executable",
            FileKind::NodeAddon => "node-addon",
            FileKind::Wasm => "wasm",
            FileKind::Text => "text",
            FileKind::Binary => "binary",
        }
    }

    /// Source code that the JavaScript engine parses.
    pub fn is_script(self) -> bool {
        matches!(self, FileKind::Javascript | FileKind::Typescript)
    }

    /// Machine code or bytecode whose readable parts are only its strings.
    pub fn is_native(self) -> bool {
        matches!(self, FileKind::Executable | FileKind::NodeAddon | FileKind::Wasm)
    }
}

impl std::fmt::Display for FileKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Classifies a member from its path and contents.
pub fn classify(path: &str, data: &[u8]) -> FileKind {
    let name = path.rsplit(['/', '!']).next().unwrap_or(path).to_ascii_lowercase();
    if let Some(native) = native_format(data) {
        return if native == FileKind::Executable && name.ends_with(".node") {
            FileKind::NodeAddon
        } else {
            native
        };
    }
    if !is_text(data) {
        return FileKind::Binary;
    }
    let extension = name.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("");
    match extension {
        "js" | "mjs" | "cjs" | "jsx" => FileKind::Javascript,
        "ts" | "mts" | "cts" | "tsx" => FileKind::Typescript,
        "json" | "map" | "webmanifest" => FileKind::Json,
        "py" | "pyw" | "pyi" => FileKind::Python,
        _ => match shebang_interpreter(data) {
            Some(interpreter) if ["node", "bun", "deno"].iter().any(|n| interpreter.contains(n)) => {
                FileKind::Javascript
            }
            Some(interpreter) if interpreter.contains("python") => FileKind::Python,
            // Bun's bundler marks its output, also in executables whose modules have no extension.
            _ if data.starts_with(b"// @bun") => FileKind::Javascript,
            _ => FileKind::Text,
        },
    }
}

/// ELF, Mach-O, PE and WebAssembly, by magic number.
pub fn native_format(data: &[u8]) -> Option<FileKind> {
    match data {
        [0x7f, b'E', b'L', b'F', ..] => Some(FileKind::Executable),
        [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..] | [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..] => Some(FileKind::Executable),
        // Universal Mach-O shares 0xCAFEBABE with Java class files; a class file's next word is
        // its version (45 and up), a universal binary's its architecture count (a handful).
        [0xca, 0xfe, 0xba, 0xbe, a, b, c, d, ..] => {
            let count = u32::from_be_bytes([*a, *b, *c, *d]);
            (count > 0 && count < 20).then_some(FileKind::Executable)
        }
        [b'M', b'Z', ..] if is_pe(data) => Some(FileKind::Executable),
        [0, b'a', b's', b'm', ..] => Some(FileKind::Wasm),
        _ => None,
    }
}

fn is_pe(data: &[u8]) -> bool {
    let Some(offset) = data.get(0x3c..0x40) else {
        return false;
    };
    let offset = u32::from_le_bytes([offset[0], offset[1], offset[2], offset[3]]) as usize;
    data.get(offset..offset.saturating_add(4)) == Some(b"PE\0\0")
}

/// Text is what has no NUL bytes and few control characters in its first 8 KiB. Invalid UTF-8
/// (a Latin-1 file) is still text.
pub fn is_text(data: &[u8]) -> bool {
    let head = &data[..data.len().min(8192)];
    if head.contains(&0) {
        return false;
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c | 0x1b))
        .count();
    controls * 100 <= head.len()
}

fn shebang_interpreter(data: &[u8]) -> Option<String> {
    let line = data.strip_prefix(b"#!")?;
    let end = memchr::memchr(b'\n', line).unwrap_or(line.len().min(200));
    Some(String::from_utf8_lossy(&line[..end]).into_owned())
}

/// Minified code has long lines: a bundler's output averages hundreds of characters a line,
/// hand-written code well under a hundred.
pub fn is_minified(data: &[u8]) -> bool {
    if data.len() < 1024 {
        return false;
    }
    let mut lines = 0usize;
    let mut longest = 0usize;
    let mut start = 0usize;
    for newline in memchr::memchr_iter(b'\n', data) {
        lines += 1;
        longest = longest.max(newline - start);
        start = newline + 1;
    }
    lines += 1;
    longest = longest.max(data.len() - start);
    let average = data.len() / lines;
    average > 200 || (longest > 20_000 && longest * 2 > data.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_bytes_then_name() {
        assert_eq!(classify("a/b.js", b"var a=1"), FileKind::Javascript);
        assert_eq!(classify("a/b.d.ts", b"export {}"), FileKind::Typescript);
        assert_eq!(classify("x/package.json", b"{}"), FileKind::Json);
        assert_eq!(classify("m.py", b"import os"), FileKind::Python);
        assert_eq!(
            classify("bin/tool", b"#!/usr/bin/env node\nrequire('x')"),
            FileKind::Javascript
        );
        assert_eq!(classify("bin/tool", b"#!/usr/bin/python3\nimport os"), FileKind::Python);
        assert_eq!(classify("README", b"hello"), FileKind::Text);
        assert_eq!(classify("root/tool", b"// @bun\nvar a=1"), FileKind::Javascript);
        assert_eq!(classify("rg", b"\x7fELF\x02\x01\x01\0\0\0"), FileKind::Executable);
        assert_eq!(classify("x.node", b"\x7fELF\x02\x01\x01\0\0\0"), FileKind::NodeAddon);
        assert_eq!(classify("x.js", b"\0asm\x01\0\0\0"), FileKind::Wasm);
        assert_eq!(classify("A.class", b"\xca\xfe\xba\xbe\0\0\0\x34"), FileKind::Binary);
        assert_eq!(classify("rg", b"\xca\xfe\xba\xbe\0\0\0\x02"), FileKind::Executable);
        assert_eq!(classify("logo.png", b"\x89PNG\r\n\x1a\n\0\0"), FileKind::Binary);
        assert_eq!(classify("latin1.txt", b"caf\xe9"), FileKind::Text);
    }

    #[test]
    fn recognises_pe() {
        let mut pe = vec![0u8; 0x100];
        pe[..2].copy_from_slice(b"MZ");
        pe[0x3c] = 0x80;
        pe[0x80..0x84].copy_from_slice(b"PE\0\0");
        assert_eq!(classify("tool.exe", &pe), FileKind::Executable);
        assert_eq!(classify("MZ.txt", b"MZ is a name"), FileKind::Text);
    }

    #[test]
    fn detects_minified() {
        let readable = "function add(a, b) {\n  return a + b;\n}\n".repeat(100);
        assert!(!is_minified(readable.as_bytes()));
        let bundled = "var a=function(b,c){return b+c},d=a(1,2);".repeat(100);
        assert!(is_minified(bundled.as_bytes()));
    }
}
