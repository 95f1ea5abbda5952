//! The [`Report`]: the single contract between the engine, the CLI and the page. Its JSON form is
//! a documented, versioned interface (`docs/report.schema.json`, `docs/report.md`): fields may be
//! added, never renamed.

use serde::{Deserialize, Serialize};

use crate::files::FileKind;
use crate::package::Format;
use crate::package::metadata::Manifest;

/// Bumped when a field changes meaning or goes away (never for additions).
pub const SCHEMA_VERSION: u32 = 1;

/// Everything Telltale found in one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub package: PackageSummary,
    /// Every member, nested archives flattened (`outer.vsix!/inner/path`), sorted by path.
    pub files: Vec<FileEntry>,
    pub findings: Vec<Finding>,
    /// Every URL and host the code mentions, deduplicated and classified.
    pub endpoints: Vec<Endpoint>,
    /// Each opt-out switch found on a path: the sends it stops and the ones it does not.
    pub opt_outs: Vec<OptOut>,
    /// Problems reading the input: damaged archives, limits reached, unparsable files.
    pub errors: Vec<ErrorEntry>,
    pub stats: Stats,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: env!("CARGO_PKG_NAME").to_string(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// The package as its own metadata describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PackageSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub format: Format,
    /// The name of what was scanned (file or folder name).
    pub source: String,
    /// Manifests found at the root of the package and of nested archives, the package's own
    /// first; their entry points are where code paths start.
    pub manifests: Vec<Manifest>,
}

/// One member of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FileEntry {
    pub path: String,
    /// Bytes, as the archive declares them.
    pub size: u64,
    pub kind: FileKind,
    /// JavaScript or TypeScript written by a minifier or bundler.
    pub minified: bool,
    /// Set when the member is an archive that was opened; its members follow with `path!/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<Format>,
    /// True when the contents could not be read whole (damage, encryption, a limit).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub incomplete: bool,
    /// True for machine code or bytecode whose application code could not be read (a native
    /// executable, `.node` addon or WebAssembly with nothing embedded that Telltale knows,
    /// JavaScriptCore bytecode, a V8 snapshot): only its strings (`path!/strings.js`) and long
    /// JavaScript-looking text in it (`path!/text@<offset>.js`) were analysed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub opaque: bool,
}

/// A detection category. The names are part of the interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Analytics, crash and metrics SDKs, their endpoints, event sends, opt-out switches.
    Telemetry,
    /// Timezone, locale, language, country, geo-IP and region-host checks.
    Region,
    /// Host name, user name, machine id, MAC, IP, e-mail, git identity, persisted ids.
    Identity,
    /// Other outgoing requests.
    Network,
    /// Code or data hidden from a reader: encoded strings, eval of computed code.
    Obfuscation,
    /// Code that runs at install time.
    Install,
}

impl Category {
    pub const ALL: [Category; 6] = [
        Category::Telemetry,
        Category::Region,
        Category::Identity,
        Category::Network,
        Category::Obfuscation,
        Category::Install,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Telemetry => "telemetry",
            Category::Region => "region",
            Category::Identity => "identity",
            Category::Network => "network",
            Category::Obfuscation => "obfuscation",
            Category::Install => "install",
        }
    }
}

/// How much a finding matters to someone deciding whether to allow the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Context, not an alert: library code, code that never runs.
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| format!("unknown severity '{text}' (expected info, low, medium, high or critical)"))
    }
}

/// Where a detected value goes, or what it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Consequence {
    /// It reaches a network request's URL, headers or body, or a telemetry SDK call.
    Sent,
    /// It decides a branch.
    Gates,
    /// It is only formatted, displayed or logged locally.
    Local,
    /// Could not be determined.
    Unknown,
}

/// A byte range in a file, end exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

/// One step of a code path: entry point → calls → detection → flow → sink or branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PathStep {
    /// What this step is: `entry`, `call`, `detection`, `flow`, `sink`, `branch`, `use` (a
    /// local use: formatting, display, logging).
    pub role: String,
    /// The function, as named in the code (minified names included).
    pub function: String,
    /// A readable name inferred from context, when the code's own name is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readable_name: Option<String>,
    pub file: String,
    pub span: Span,
    pub line: u32,
    pub column: u32,
    /// One line on what happens here.
    pub note: String,
}

impl PathStep {
    /// The function as a reader sees it: `hf0 (hostDetector)`, or the code's own name alone.
    pub fn function_label(&self) -> String {
        match &self.readable_name {
            Some(readable) => format!("{} ({readable})", self.function),
            None => self.function.clone(),
        }
    }
}

/// An opt-out switch that stands between a finding and its sink.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Guard {
    /// The switch: an environment variable, settings key or CLI flag.
    pub switch: String,
    /// `env`, `setting`, or `server`: a feature flag the vendor's server answers, which makes the
    /// finding server-controlled (neither off nor on from the user's side).
    pub kind: String,
    /// Whether setting the switch really stops this path (for `server`, the flag turned off).
    pub disables: bool,
    pub file: String,
    pub span: Span,
    pub line: u32,
}

/// One detection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    /// Stable rule id (`TT-REGION-001`).
    pub rule: String,
    pub category: Category,
    pub severity: Severity,
    pub title: String,
    /// Why this matters here, in a sentence or two.
    pub message: String,
    pub file: String,
    /// Byte span of the expression in the original file.
    pub span: Span,
    /// 1-based line of `span.start` in the original file.
    pub line: u32,
    /// 1-based column of `span.start`, in bytes of its line.
    pub column: u32,
    /// The code around the span, one line, cut to a readable length.
    pub snippet: String,
    /// Stable across scans of the same code (independent of position): compare two reports.
    pub fingerprint: String,
    /// Where the detected value goes, or `null` where that does not apply (an endpoint literal).
    pub consequence: Option<Consequence>,
    /// Whether the code at the site can run, and why not when it cannot.
    pub reachability: Reachability,
    pub path: Vec<PathStep>,
    pub guards: Vec<Guard>,
    /// Set when what the rule matched is a string Telltale worked out from constant code
    /// (decoded, joined or looked up in a table) rather than a literal: the string, the list it
    /// belongs to, and how it was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<DecodedString>,
}

/// A string worked out from constant code without running it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DecodedString {
    /// The decoded string.
    pub text: String,
    /// When it is one of a list (a decoded list compared with a value, the look-alike strings a
    /// branch chooses between): every item, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub list: Vec<String>,
    /// Decoding steps in the order applied: `base64`, `hex`, `XOR with 0x5b`, `add 3`,
    /// `character codes`, `percent-decoding`, `reverse`, `split`, `slice`, `concatenation`,
    /// `string-table lookup`…
    pub steps: Vec<String>,
    /// The package's own functions it came out of, innermost first.
    pub functions: Vec<String>,
    /// The literal the data came from (in the finding's file), when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub literal: Option<Span>,
    /// 1-based line of `literal.start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub literal_line: Option<u32>,
    /// One sentence: "decoded by `d` (base64, then XOR with 0x5b) from the literal at
    /// dist/x.js:3:15".
    pub provenance: String,
}

/// Whether code can run when the package is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RunStatus {
    /// A chain of references leads to it from code that runs (the path shows one).
    Reachable,
    /// Nothing that runs leads to it; `reason` says why.
    Unreachable,
    /// Not worked out (a file that could not be parsed, a site outside code).
    Unknown,
}

/// A finding's reachability and its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reachability {
    pub status: RunStatus,
    /// Why the code cannot run (`unreachable`), or what makes it run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl Reachability {
    pub fn unknown() -> Self {
        Self {
            status: RunStatus::Unknown,
            reason: None,
        }
    }
}

/// One opt-out switch and what setting it does: which data-carrying sends it stops and which
/// still leave (each listed send has its path in `findings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct OptOut {
    pub switch: String,
    /// `env` or `setting`.
    pub kind: String,
    /// Sends (findings whose value is sent and that run) on whose path the switch stops them.
    pub stops: Vec<SendRef>,
    /// Sends that run with the switch set: no condition on their path tests it.
    pub does_not_stop: Vec<SendRef>,
}

/// A finding referred to from the opt-out table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SendRef {
    pub rule: String,
    pub category: Category,
    pub title: String,
    pub file: String,
    pub line: u32,
    pub fingerprint: String,
}

/// How a URL or host is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EndpointClass {
    Telemetry,
    GeoIp,
    /// A model or product API.
    Api,
    /// Documentation, repository or homepage links.
    Docs,
    Unknown,
}

impl EndpointClass {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointClass::Telemetry => "telemetry",
            EndpointClass::GeoIp => "geo-ip",
            EndpointClass::Api => "api",
            EndpointClass::Docs => "docs",
            EndpointClass::Unknown => "unknown",
        }
    }
}

/// A URL or host mentioned in code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Endpoint {
    pub host: String,
    /// Distinct URLs seen for this host (up to a few).
    pub urls: Vec<String>,
    pub class: EndpointClass,
    /// Files that mention it.
    pub files: Vec<String>,
    /// Rules of findings at these sites.
    pub rules: Vec<String>,
}

/// Which stage of the pipeline a problem came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Reading the input and its archives.
    Unpack,
    /// Parsing source code (the rest of the file is still analysed).
    Parse,
    /// Loading rules.
    Rules,
}

/// A problem with one file. `message` says what and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorEntry {
    pub file: String,
    pub message: String,
    pub stage: Stage,
}

/// Counts and timings (timings vary run to run).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Stats {
    pub files: u64,
    /// Bytes of all members, inflated.
    pub bytes: u64,
    /// Source files parsed.
    pub parsed_files: u64,
    pub parsed_bytes: u64,
    /// Milliseconds spent per stage.
    pub timings_ms: Timings,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Timings {
    pub unpack: f64,
    pub analyse: f64,
    pub total: f64,
}

impl Report {
    /// True when some of the input could not be read (damage, encryption, limits).
    pub fn is_partial(&self) -> bool {
        self.errors.iter().any(|e| e.stage == Stage::Unpack)
    }

    /// The highest severity among the findings.
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}
