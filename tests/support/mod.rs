//! Shared by the integration tests: archive builders, a sink that keeps everything the package
//! layer hands out, a runner for the built `telltale` binary, and executables with code inside.

// Every test crate compiles all of this and uses its own part of it.
#![allow(dead_code)]

pub mod archives;
pub mod executables;
pub mod packages;

use std::path::PathBuf;
use std::process::Command;

use telltale::package::{self, Format, Limits, Member, PackageError, Sink};

/// Everything one `package::open` produced.
#[derive(Debug)]
pub struct Opened {
    pub format: Format,
    pub members: Vec<Member>,
    pub errors: Vec<PackageError>,
}

#[derive(Default)]
struct Collect {
    members: Vec<Member>,
    errors: Vec<PackageError>,
}

impl Sink for Collect {
    fn member(&mut self, member: Member) {
        self.members.push(member);
    }
    fn error(&mut self, error: PackageError) {
        self.errors.push(error);
    }
}

/// Opens `bytes` as if a file called `name` had been dropped.
pub fn open(name: &str, bytes: &[u8], limits: Limits) -> Opened {
    let mut sink = Collect::default();
    let format = package::open(name, bytes, limits, &mut sink);
    Opened {
        format,
        members: sink.members,
        errors: sink.errors,
    }
}

/// Limits small enough that a bomb is caught in milliseconds.
pub fn small_limits() -> Limits {
    Limits {
        max_total_bytes: 1 << 20,
        max_member_bytes: 256 << 10,
        max_files: 1000,
        max_depth: 4,
    }
}

impl Opened {
    pub fn paths(&self) -> Vec<&str> {
        self.members.iter().map(|m| m.path.as_str()).collect()
    }

    /// The member at `path`; fails the test, listing what there is, when it is missing.
    pub fn member(&self, path: &str) -> &Member {
        self.members
            .iter()
            .find(|m| m.path == path)
            .unwrap_or_else(|| panic!("no member {path:?}; members are {:?}", self.paths()))
    }

    /// Asserts that `path` was read whole and holds `data`.
    pub fn assert_read(&self, path: &str, data: &[u8]) {
        let member = self.member(path);
        assert!(member.is_complete(), "{path} is incomplete: {member:?}");
        assert_eq!(member.data, data, "contents of {path}");
    }

    /// Asserts the errors, in order: each `(file, part of the message)`, and no others.
    pub fn assert_errors(&self, expected: &[(&str, &str)]) {
        let found: Vec<(&str, &str)> = self
            .errors
            .iter()
            .map(|e| (e.file.as_str(), e.message.as_str()))
            .collect();
        let matches = found.len() == expected.len()
            && found
                .iter()
                .zip(expected)
                .all(|((file, message), (want_file, want_part))| file == want_file && message.contains(want_part));
        assert!(
            matches,
            "errors differ\n expected: {expected:#?}\n    found: {found:#?}"
        );
    }
}

/// What the `telltale` binary did with one file.
#[derive(Debug)]
pub struct CliRun {
    pub exit_code: i32,
    pub report: serde_json::Value,
}

impl CliRun {
    /// The report's `errors` as `(file, message)` pairs.
    pub fn errors(&self) -> Vec<(String, String)> {
        self.report["errors"]
            .as_array()
            .expect("errors is a list")
            .iter()
            .map(|e| {
                assert_eq!(e["stage"], "unpack", "{e}");
                (
                    e["file"].as_str().unwrap_or_default().to_string(),
                    e["message"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    pub fn file_paths(&self) -> Vec<String> {
        self.report["files"]
            .as_array()
            .expect("files is a list")
            .iter()
            .map(|f| f["path"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}

/// Writes `bytes` to a fresh temporary file called `name` and runs
/// `telltale scan FILE --format json --quiet ARGS…` on it.
pub fn run_cli(name: &str, bytes: &[u8], args: &[&str]) -> CliRun {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("hostile")
        .join(format!("{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temporary folder");
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write temporary file");
    let output = Command::new(env!("CARGO_BIN_EXE_telltale"))
        .arg("scan")
        .arg(&path)
        .args(["--format", "json", "--quiet"])
        .args(args)
        .output()
        .expect("run telltale");
    std::fs::remove_dir_all(&dir).ok();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "stdout is not a JSON report ({error}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    CliRun {
        exit_code: output.status.code().expect("exited, not killed"),
        report,
    }
}

/// What the `telltale` binary printed, for runs that produce no report (bad usage, a missing file).
#[derive(Debug)]
pub struct RawRun {
    pub exit_code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `telltale ARGS…` as it is, without writing any input file.
pub fn run_cli_raw(args: &[&str]) -> RawRun {
    let output = Command::new(env!("CARGO_BIN_EXE_telltale"))
        .args(args)
        .output()
        .expect("run telltale");
    RawRun {
        exit_code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
