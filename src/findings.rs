//! From detections to findings: severity as the evidence warrants, location (line, column,
//! snippet), a stable fingerprint, and the endpoints table.

use std::collections::{BTreeMap, HashSet};

use crate::files::FileKind;
use crate::lang::facts::{FactKind, Flow, ModuleInterface, Step};
use crate::lang::js::{self, Detection};
use crate::package::metadata::Manifest;
use crate::report::{
    Category, Consequence, Endpoint, EndpointClass, ErrorEntry, Finding, Guard, OptOut, PathStep, Reachability,
    RunStatus, SendRef, Severity, Span, Stage,
};
use crate::rules::RuleSet;

/// What one file yielded.
#[derive(Debug, Default)]
pub struct FileFindings {
    pub findings: Vec<Finding>,
    pub errors: Vec<ErrorEntry>,
    pub urls: Vec<(String, String)>,
    pub parsed: bool,
    /// Property names the file reads: another file's exports of these names run.
    pub names_read: rustc_hash::FxHashSet<String>,
    /// Findings that run only if another file reads an export; see [`Pending`].
    pub pending: Vec<Pending>,
    /// What the file exports and imports as an ES module.
    pub module: ModuleInterface,
    /// Code the file keeps in strings, and binaries in its base64 literals: files of their own.
    pub embedded: Vec<EmbeddedFile>,
}

/// A string of a file that is a file of its own: code run with `eval`, `new Function`, `vm` or
/// an evaluating `Worker`, a long literal that is a whole program, or an executable, archive or
/// WebAssembly module in base64.
#[derive(Debug)]
pub struct EmbeddedFile {
    /// `file.js!/string@OFFSET`, OFFSET being where the literal starts in the file.
    pub path: String,
    pub data: Vec<u8>,
    /// How the string is run, and from where; `None` when nothing was seen running it.
    pub run: Option<EmbeddedRun>,
    /// How it was decoded, when it was.
    pub provenance: Option<String>,
}

/// The site that runs embedded code.
#[derive(Debug, Clone)]
pub struct EmbeddedRun {
    /// `eval`, `new Function`, `new Worker(…, { eval: true })`…
    pub runner: String,
    /// Whether the site runs.
    pub reachability: Reachability,
    /// From the outer file's entry to the site (its last step).
    pub path: Vec<PathStep>,
}

/// A finding in code that runs only through an export this file never reads. It is reported
/// unreachable unless another file of the package reads that name or the file is an entry
/// point (its exports are the package's API); then `if_read` replaces it.
#[derive(Debug)]
pub struct Pending {
    /// Index into the file's findings.
    pub index: usize,
    pub export: String,
    pub if_read: Finding,
}

/// Analyses one source file: JavaScript and TypeScript are parsed; other kinds yield nothing yet.
pub fn analyze_file(path: &str, kind: FileKind, data: &[u8], rules: &RuleSet) -> FileFindings {
    if !matches!(kind, FileKind::Javascript | FileKind::Typescript) {
        return FileFindings::default();
    }
    let text = String::from_utf8_lossy(data);
    let analysis = js::analyze(path, &text, rules);
    let mut out = FileFindings {
        parsed: analysis.parsed,
        ..FileFindings::default()
    };
    let lines = LineIndex::new(&text);
    for error in analysis.errors.iter().take(3) {
        let place = error.span.map(|s| {
            let (line, column) = lines.locate(s.start);
            format!(" at line {line}, column {column}")
        });
        out.errors.push(ErrorEntry {
            file: path.to_string(),
            message: format!(
                "syntax error{}: {}{}",
                place.unwrap_or_default(),
                error.message,
                if analysis.parsed {
                    " (the rest of the file was analysed)"
                } else {
                    " (only literals and environment reads were scanned)"
                }
            ),
            stage: Stage::Parse,
        });
    }
    // Each finding with the version of it that applies if another file reads the export it
    // runs through; they stay paired through sorting and deduplication.
    let mut seen = HashSet::new();
    let mut found: Vec<(Finding, Option<(String, Finding)>)> = Vec::new();
    for detection in &analysis.detections {
        for &rule in &detection.rules {
            if !seen.insert((rule, detection.fact.span.start)) {
                continue;
            }
            let if_read = detection.flow.unless_read.as_ref().map(|export| {
                let mut flow = detection.flow.clone();
                flow.reachability = Reachability {
                    status: RunStatus::Reachable,
                    reason: Some(format!(
                        "runs through the export `{export}`, which another file reads or the package's users call"
                    )),
                };
                (
                    export.clone(),
                    finding(path, &text, &lines, detection, &flow, rule, rules),
                )
            });
            found.push((
                finding(path, &text, &lines, detection, &detection.flow, rule, rules),
                if_read,
            ));
        }
    }
    found.sort_by(|(a, _), (b, _)| (a.span.start, &a.rule).cmp(&(b.span.start, &b.rule)));
    dedupe_overlapping(&mut found);
    for (index, (finding, if_read)) in found.into_iter().enumerate() {
        if let Some((export, if_read)) = if_read {
            out.pending.push(Pending { index, export, if_read });
        }
        out.findings.push(finding);
    }
    out.names_read = analysis.names_read;
    out.module = analysis.module;
    out.embedded = analysis
        .embedded
        .into_iter()
        .map(|code| EmbeddedFile {
            path: format!("{path}!/string@{}", code.offset),
            run: code.site.map(|site| EmbeddedRun {
                runner: code.runner.unwrap_or_default(),
                reachability: site.reachability,
                path: site.steps.iter().map(|step| path_step(path, &lines, step)).collect(),
            }),
            provenance: code.provenance,
            data: code.data,
        })
        .collect();
    out.urls = analysis
        .urls
        .into_iter()
        .map(|(url, _)| url)
        .map(|u| (u, path.to_string()))
        .collect();
    out
}

/// One rule on nested spans (a chain and its prefix) is one finding: keep the first.
fn dedupe_overlapping<T>(findings: &mut Vec<(Finding, T)>) {
    let mut last_end: BTreeMap<String, u32> = BTreeMap::new();
    findings.retain(|(f, _)| {
        let end = last_end.entry(f.rule.clone()).or_insert(0);
        if f.span.start < *end {
            return false;
        }
        *end = f.span.end;
        true
    });
}

fn finding(
    path: &str,
    text: &str,
    lines: &LineIndex,
    detection: &Detection,
    flow: &Flow,
    rule_index: usize,
    rules: &RuleSet,
) -> Finding {
    let rule = rules.rule(rule_index);
    let fact = &detection.fact;
    let mut severity = rule.severity;
    let mut notes = Vec::new();
    if flow.reachability.status == RunStatus::Unreachable {
        severity = Severity::Info;
        notes.push(format!(
            "never runs: {}",
            flow.reachability.reason.as_deref().unwrap_or("nothing leads to it")
        ));
    }
    if let Some(library) = &flow.library {
        notes.push(format!("inside bundled package {library}"));
        if rule.category == Category::Region && flow.consequence != Consequence::Gates {
            severity = Severity::Info;
        }
    }
    if fact.kind == FactKind::Text && flow.consequence == Consequence::Gates {
        severity = Severity::Info;
        notes.push("the text is only compared".into());
    }
    if rule.category == Category::Region && flow.consequence == Consequence::Local && severity > Severity::Low {
        severity = Severity::Low;
    }
    let (line, column) = lines.locate(fact.span.start);
    let snippet = snippet(text, fact.span);
    let consequence_text = match flow.consequence {
        Consequence::Sent => "the value is sent",
        Consequence::Gates => "the value decides a branch",
        Consequence::Local => "the value stays local",
        Consequence::Unknown => "where the value goes is unknown",
    };
    let subject = shorten(&fact.subject, 120);
    let mut message = format!("{}: `{subject}`; {consequence_text}", rule.title);
    if let Some(via) = flow.names.first() {
        message.push_str(&format!(" (via {})", shorten(via, 60)));
    }
    let decoded = fact
        .decoded
        .as_ref()
        .map(|d| d.to_report(path, |offset| lines.locate(offset)));
    if let Some(decoded) = &decoded {
        notes.push(decoded_note(decoded));
    }
    for note in notes {
        message.push_str("; ");
        message.push_str(&note);
    }
    Finding {
        rule: rule.code.clone(),
        category: rule.category,
        severity,
        title: rule.title.clone(),
        message,
        file: path.to_string(),
        span: fact.span,
        line,
        column,
        fingerprint: fingerprint(&rule.code, path, &snippet),
        snippet,
        consequence: Some(flow.consequence),
        reachability: flow.reachability.clone(),
        path: flow
            .steps
            .iter()
            // Code that never runs has no way in: its path starts at the detection.
            .skip_while(|step| flow.reachability.status == RunStatus::Unreachable && step.role != "detection")
            .map(|step| path_step(path, lines, step))
            .collect(),
        guards: flow
            .guards
            .iter()
            .map(|guard| Guard {
                switch: guard.switch.clone(),
                kind: guard.kind.to_string(),
                disables: guard.disables,
                file: path.to_string(),
                span: guard.span,
                line: lines.locate(guard.span.start).0,
            })
            .collect(),
        decoded,
    }
}

fn path_step(path: &str, lines: &LineIndex, step: &Step) -> PathStep {
    let (line, column) = lines.locate(step.span.start);
    PathStep {
        role: step.role.to_string(),
        function: step.function.clone(),
        readable_name: step.readable_name.clone(),
        file: path.to_string(),
        span: step.span,
        line,
        column,
        note: step.note.clone(),
    }
}

/// The message's note on a decoded string: its provenance and, for a list, the list in full.
fn decoded_note(decoded: &crate::report::DecodedString) -> String {
    let mut note = decoded.provenance.clone();
    if !decoded.list.is_empty() {
        let items: Vec<String> = decoded.list.iter().map(|i| format!("{i:?}")).collect();
        note.push_str(&format!(": [{}]", items.join(", ")));
    }
    note
}

/// Install-time scripts from the manifests, matched by the install rules.
pub fn install_findings<'a>(
    manifests: &[Manifest],
    manifest_bytes: impl Fn(&str) -> Option<&'a [u8]>,
    rules: &RuleSet,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for manifest in manifests {
        let text = String::from_utf8_lossy(manifest_bytes(&manifest.path).unwrap_or_default());
        let lines = LineIndex::new(&text);
        for script in &manifest.install_scripts {
            for rule_index in rules.matching_install_script(&script.command) {
                let rule = rules.rule(rule_index);
                let span = script.span.map_or(Span::default(), |(start, end)| Span { start, end });
                let (line, column) = lines.locate(span.start);
                let snippet = if text.is_empty() {
                    format!("\"{}\": \"{}\"", script.event, script.command)
                } else {
                    snippet(&text, span)
                };
                out.push(Finding {
                    rule: rule.code.clone(),
                    category: rule.category,
                    severity: rule.severity,
                    title: rule.title.clone(),
                    message: format!(
                        "{}: `{}` runs `{}` when the package is installed",
                        rule.title,
                        script.event,
                        shorten(&script.command, 200)
                    ),
                    file: script.manifest.clone(),
                    span,
                    line,
                    column,
                    fingerprint: fingerprint(&rule.code, &script.manifest, &script.command),
                    snippet,
                    consequence: None,
                    reachability: Reachability {
                        status: RunStatus::Reachable,
                        reason: Some(format!("npm runs `{}` when the package is installed", script.event)),
                    },
                    path: Vec::new(),
                    guards: Vec::new(),
                    decoded: None,
                });
            }
        }
    }
    out
}

/// The opt-out table: every switch some path tests, the sends of data it stops and those it
/// does not. A send is a finding that runs and whose value is sent (telemetry, identity or
/// region data leaving the machine).
pub fn opt_out_audit(findings: &[Finding]) -> Vec<OptOut> {
    let sends: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            f.consequence == Some(Consequence::Sent)
                && f.reachability.status == RunStatus::Reachable
                && matches!(f.category, Category::Telemetry | Category::Identity | Category::Region)
        })
        .collect();
    let mut switches: BTreeMap<(String, String), ()> = BTreeMap::new();
    for finding in findings {
        // A server's feature flag is no switch the user can set.
        for guard in finding.guards.iter().filter(|g| g.disables && g.kind != "server") {
            switches.insert((guard.switch.clone(), guard.kind.clone()), ());
        }
    }
    let reference = |f: &Finding| SendRef {
        rule: f.rule.clone(),
        category: f.category,
        title: f.title.clone(),
        file: f.file.clone(),
        line: f.line,
        fingerprint: f.fingerprint.clone(),
    };
    switches
        .into_keys()
        .filter_map(|(switch, kind)| {
            let (stops, does_not_stop): (Vec<&Finding>, Vec<&Finding>) = sends
                .iter()
                .partition(|f| f.guards.iter().any(|g| g.disables && g.switch == switch));
            // A switch that stops none of these sends is listed only when it is meant to
            // (its name is about telemetry): then that it stops nothing is the news.
            (!stops.is_empty() || about_telemetry(&switch)).then(|| OptOut {
                stops: stops.into_iter().map(reference).collect(),
                does_not_stop: does_not_stop.into_iter().map(reference).collect(),
                switch,
                kind,
            })
        })
        .collect()
}

fn about_telemetry(switch: &str) -> bool {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?i)(telemetry|track|analytic|usage|statistic|error_?report|crash|nonessential|metric)")
            .expect("valid")
    })
    .is_match(switch)
}

/// The endpoints table: every URL host, with the files and findings that mention it.
pub fn endpoints(urls: &[(String, String)], findings: &[Finding]) -> Vec<Endpoint> {
    let mut by_host: BTreeMap<String, Endpoint> = BTreeMap::new();
    for (url, file) in urls {
        let Some(host) = host_of(url) else { continue };
        let entry = by_host.entry(host.clone()).or_insert_with(|| Endpoint {
            host: host.clone(),
            urls: Vec::new(),
            class: EndpointClass::Unknown,
            files: Vec::new(),
            rules: Vec::new(),
        });
        if entry.urls.len() < 8 && !entry.urls.contains(url) {
            entry.urls.push(url.clone());
        }
        if !entry.files.contains(file) {
            entry.files.push(file.clone());
        }
    }
    for finding in findings {
        for endpoint in by_host.values_mut() {
            if finding.snippet.contains(&endpoint.host) && !endpoint.rules.contains(&finding.rule) {
                endpoint.rules.push(finding.rule.clone());
                if finding.category == Category::Telemetry && endpoint.class == EndpointClass::Unknown {
                    endpoint.class = EndpointClass::Telemetry;
                }
            }
        }
    }
    for endpoint in by_host.values_mut() {
        if endpoint.class == EndpointClass::Unknown {
            endpoint.class = classify_host(&endpoint.host, &endpoint.urls);
        }
    }
    by_host.into_values().collect()
}

fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = host.split(':').next()?.to_ascii_lowercase();
    let plausible = host.contains('.') || host == "localhost";
    (plausible && host.len() < 256 && !host.contains(['$', '{', '%'])).then_some(host)
}

fn classify_host(host: &str, urls: &[String]) -> EndpointClass {
    const GEO_IP: [&str; 9] = [
        "ipinfo.io",
        "ip-api.com",
        "ipapi.co",
        "ipgeolocation",
        "geojs.io",
        "ipify.org",
        "ifconfig.me",
        "freegeoip",
        "db-ip.com",
    ];
    const TELEMETRY: [&str; 12] = [
        "sentry.io",
        "statsig",
        "segment.io",
        "mixpanel",
        "amplitude",
        "posthog",
        "bugsnag",
        "datadoghq",
        "honeycomb.io",
        "google-analytics",
        "rollbar",
        "telemetry",
    ];
    const DOCS: [&str; 8] = [
        "github.com",
        "docs.",
        "developer.",
        "stackoverflow.com",
        "npmjs.com",
        "wikipedia.org",
        "mozilla.org",
        "readthedocs",
    ];
    if GEO_IP.iter().any(|g| host.contains(g)) {
        EndpointClass::GeoIp
    } else if TELEMETRY.iter().any(|t| host.contains(t))
        || urls
            .iter()
            .any(|u| u.contains("/metrics") || u.contains("/telemetry") || u.contains("/log?"))
    {
        EndpointClass::Telemetry
    } else if DOCS.iter().any(|d| host.contains(d)) {
        EndpointClass::Docs
    } else if host.starts_with("api.") || host.contains(".api.") || host.contains("googleapis.com") {
        EndpointClass::Api
    } else {
        EndpointClass::Unknown
    }
}

/// Longer lines than this are minified code rather than a line a person wrote.
const MAX_READABLE_LINE: usize = 200;

/// The code around a span, on its line: the span (up to 240 bytes) and about 40 bytes each
/// side (on a minified line, none before it and up to the end of its statement after it), cut
/// at character boundaries, so it can be found again in the file as it stands and does not
/// reach into neighbouring sites of a minified line.
fn snippet(text: &str, span: Span) -> String {
    let start = (span.start as usize).min(text.len());
    let end = (span.end as usize).clamp(start, text.len()).min(start + 240);
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |i| end + i);
    // A line of minified code holds many sites: the snippet starts at the finding's own
    // expression, so that it never shows (and is never taken for) the code before it, and
    // goes on to the end of the statement.
    let minified = line_end - line_start > MAX_READABLE_LINE;
    let mut from = if minified {
        start
    } else {
        line_start.max(start.saturating_sub(40))
    };
    let mut to = line_end.min(end + 40);
    if minified && let Some(cut) = text[end..to].find(';') {
        to = end + cut + 1;
    }
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    while to < text.len() && !text.is_char_boundary(to) {
        to += 1;
    }
    text[from..to].trim().to_string()
}

fn shorten(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut cut = max;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &text[..cut])
}

/// FNV-1a over rule, file and snippet: the same code in the same place keeps its fingerprint
/// across runs and across package versions that did not change it.
fn fingerprint(rule: &str, path: &str, snippet: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in rule
        .bytes()
        .chain([0])
        .chain(path.bytes())
        .chain([0])
        .chain(snippet.bytes())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// Line starts of a text, for 1-based line and column (in bytes) of an offset.
struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i as u32 + 1));
        Self { starts }
    }

    fn locate(&self, offset: u32) -> (u32, u32) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        (line as u32, offset - self.starts[line - 1] + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_are_one_based() {
        let index = LineIndex::new("ab\ncd\n");
        assert_eq!(index.locate(0), (1, 1));
        assert_eq!(index.locate(4), (2, 2));
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host_of("https://key@o1.ingest.us.sentry.io/123").as_deref(),
            Some("o1.ingest.us.sentry.io")
        );
        assert_eq!(host_of("http://localhost:8080/x").as_deref(), Some("localhost"));
        assert_eq!(host_of("https://${host}/x"), None);
    }

    #[test]
    fn snippets_stay_on_their_line() {
        let text = "first line\nlet a = os.hostname();\nlast";
        let s = snippet(text, Span { start: 19, end: 32 });
        assert_eq!(s, "let a = os.hostname();");
    }

    #[test]
    fn snippets_of_minified_code_start_at_their_expression() {
        let text = format!(
            "{}function f(){{return g()}}catch{{return}}}}var d=\"https://x@o1.ingest.sentry.io/1\";h();i()",
            "a();".repeat(60)
        );
        let start = text.find("\"https").unwrap() as u32;
        let s = snippet(&text, Span { start, end: start + 33 });
        assert_eq!(s, "\"https://x@o1.ingest.sentry.io/1\";");
    }
}
