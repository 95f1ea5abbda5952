//! What a report adds up to, for the overview and the HTML report: counts, the identifying
//! data and region checks with where they go, the opt-out switches, and a verdict in words.
//! Pure functions over the [`Report`], tested natively.

use std::collections::BTreeMap;

use telltale::report::{Category, Consequence, EndpointClass, Finding, Report, Severity};
use telltale::rules::RuleSet;

use crate::filters::{FindingFilter, never_runs};

/// Findings of one category by consequence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub sent: usize,
    pub gates: usize,
    pub local: usize,
    pub unknown: usize,
    /// Findings with no consequence (endpoint literals, install scripts).
    pub none: usize,
}

impl Counts {
    fn add(&mut self, consequence: Option<Consequence>) {
        self.total += 1;
        match consequence {
            Some(Consequence::Sent) => self.sent += 1,
            Some(Consequence::Gates) => self.gates += 1,
            Some(Consequence::Local) => self.local += 1,
            Some(Consequence::Unknown) => self.unknown += 1,
            None => self.none += 1,
        }
    }
}

/// One kind of data read (host name, time zone…): where it was read and where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataUse {
    pub rule: String,
    /// The rule's title: what is read.
    pub what: String,
    pub counts: Counts,
    pub max_severity: Severity,
}

/// An opt-out or opt-in switch the code reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Switch {
    /// The variable, setting or flag, as the code names it.
    pub name: String,
    /// `env`, `setting` or `flag`.
    pub kind: String,
    /// Places it is read.
    pub sites: usize,
    /// Sends that setting it stops, and sends that still leave with it set, from the engine's
    /// opt-out audit; `None` when the switch is on no send's path.
    pub audit: Option<(usize, usize)>,
}

/// One line of the verdict: a statement, how much it matters, and the findings behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    pub level: Severity,
    pub text: String,
    /// Shows the findings behind the statement; `None` when it is not about findings.
    pub filter: Option<FindingFilter>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The most severe finding in code that runs.
    pub level: Option<Severity>,
    pub headline: String,
    pub points: Vec<Point>,
    pub by_category: Vec<(Category, Counts)>,
    /// Findings per severity, least severe first (as [`Severity::ALL`]).
    pub by_severity: [usize; 5],
    pub never_runs: usize,
    pub identity: Vec<DataUse>,
    pub region: Vec<DataUse>,
    pub switches: Vec<Switch>,
    /// Endpoint indices, telemetry and geo-IP first, documentation last.
    pub endpoints: Vec<usize>,
}

/// The text between the first pair of backticks of a finding's message: what the rule saw
/// (`DISABLE_TELEMETRY`, `os.hostname`). The report has no field for it yet.
pub fn subject(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('`')?;
    let (subject, _) = rest.split_once('`')?;
    Some(subject)
}

/// Rules that report an opt-out switch, by the names the shipped rules use
/// (`telemetry-switch-env`, `telemetry-switch-setting`).
fn switch_kind(rule_name: &str, subject: &str) -> Option<&'static str> {
    if !rule_name.contains("switch") {
        return None;
    }
    Some(if rule_name.ends_with("-env") {
        "env"
    } else if subject.starts_with("--") {
        "flag"
    } else {
        "setting"
    })
}

fn class_rank(class: EndpointClass) -> u8 {
    match class {
        EndpointClass::Telemetry => 0,
        EndpointClass::GeoIp => 1,
        EndpointClass::Api => 2,
        EndpointClass::Unknown => 3,
        EndpointClass::Docs => 4,
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn data_uses(findings: &[&Finding], category: Category) -> Vec<DataUse> {
    let mut by_rule: BTreeMap<&str, DataUse> = BTreeMap::new();
    for finding in findings.iter().filter(|f| f.category == category) {
        let entry = by_rule.entry(&finding.rule).or_insert_with(|| DataUse {
            rule: finding.rule.clone(),
            what: finding.title.clone(),
            counts: Counts::default(),
            max_severity: Severity::Info,
        });
        entry.counts.add(finding.consequence);
        entry.max_severity = entry.max_severity.max(finding.severity);
    }
    let mut uses: Vec<DataUse> = by_rule.into_values().collect();
    uses.sort_by(|a, b| {
        (b.counts.sent, b.counts.gates, b.max_severity).cmp(&(a.counts.sent, a.counts.gates, a.max_severity))
    });
    uses
}

/// How one kind of data is used, in words: `sent at 2 sites, decides a branch at 1`.
pub fn uses_in_words(counts: &Counts) -> String {
    let mut parts = Vec::new();
    for (count, what) in [
        (counts.sent, "sent"),
        (counts.gates, "decides a branch"),
        (counts.local, "stays local"),
        (counts.unknown, "goes somewhere unknown"),
        (counts.none, "seen"),
    ] {
        if count > 0 {
            parts.push(format!("{what} at {}", plural(count, "site", "sites")));
        }
    }
    parts.join(", ")
}

/// Sums up `report`; `rules` names the rules (to tell which report opt-out switches).
pub fn verdict(report: &Report, rules: &RuleSet) -> Verdict {
    let live: Vec<&Finding> = report.findings.iter().filter(|f| !never_runs(f)).collect();
    let never_runs = report.findings.len() - live.len();
    let mut by_category: Vec<(Category, Counts)> = Category::ALL.iter().map(|&c| (c, Counts::default())).collect();
    let mut by_severity = [0; 5];
    for finding in &report.findings {
        if let Some((_, counts)) = by_category.iter_mut().find(|(c, _)| *c == finding.category) {
            counts.add(finding.consequence);
        }
        by_severity[finding.severity as usize] += 1;
    }
    let identity = data_uses(&live, Category::Identity);
    let region = data_uses(&live, Category::Region);
    let switches = switches(report, rules);
    let mut endpoints: Vec<usize> = (0..report.endpoints.len()).collect();
    endpoints.sort_by_key(|&i| (class_rank(report.endpoints[i].class), report.endpoints[i].host.clone()));
    let level = live.iter().map(|f| f.severity).max();

    let mut points = Vec::new();
    let sent: Vec<&DataUse> = identity
        .iter()
        .chain(&region)
        .filter(|u| u.counts.sent > 0 && u.max_severity > Severity::Info)
        .collect();
    let sent_filter = |category: Option<Category>| FindingFilter {
        category,
        consequence: Some(Some(Consequence::Sent)),
        ..FindingFilter::default()
    };
    if !sent.is_empty() {
        let list: Vec<String> = sent
            .iter()
            .map(|u| format!("{} ({})", u.what, plural(u.counts.sent, "site", "sites")))
            .collect();
        points.push(Point {
            level: sent.iter().map(|u| u.max_severity).max().unwrap_or(Severity::Medium),
            text: format!("Sends data about the machine or its user: {}.", list.join("; ")),
            filter: Some(sent_filter(None)),
        });
    }
    let checks: Vec<&DataUse> = region.iter().filter(|u| u.counts.gates > 0).collect();
    if !checks.is_empty() {
        let list: Vec<String> = checks
            .iter()
            .map(|u| format!("{} ({})", u.what, plural(u.counts.gates, "branch", "branches")))
            .collect();
        points.push(Point {
            level: checks.iter().map(|u| u.max_severity).max().unwrap_or(Severity::Low),
            text: format!("Decides what to do by where its user is: {}.", list.join("; ")),
            filter: Some(FindingFilter {
                category: Some(Category::Region),
                consequence: Some(Some(Consequence::Gates)),
                ..FindingFilter::default()
            }),
        });
    }
    let telemetry: Vec<&&Finding> = live.iter().filter(|f| f.category == Category::Telemetry).collect();
    if !telemetry.is_empty() {
        let sending = telemetry
            .iter()
            .filter(|f| f.consequence == Some(Consequence::Sent))
            .count();
        let hosts: Vec<&str> = endpoints
            .iter()
            .map(|&i| &report.endpoints[i])
            .filter(|e| matches!(e.class, EndpointClass::Telemetry | EndpointClass::GeoIp))
            .map(|e| e.host.as_str())
            .collect();
        let hosts = match hosts.len() {
            0 => String::new(),
            n if n <= 6 => format!("; endpoints: {}", hosts.join(", ")),
            n => format!("; endpoints: {} and {} more", hosts[..6].join(", "), n - 6),
        };
        points.push(Point {
            level: telemetry.iter().map(|f| f.severity).max().unwrap_or(Severity::Low),
            text: format!(
                "Telemetry: {} in code that runs, {sending} sending data{hosts}.",
                plural(telemetry.len(), "site", "sites")
            ),
            filter: Some(FindingFilter {
                category: Some(Category::Telemetry),
                ..FindingFilter::default()
            }),
        });
    }
    if !switches.is_empty() {
        let names: Vec<String> = switches
            .iter()
            .map(|s| format!("{} ({})", s.name, audit_in_words(s.audit)))
            .collect();
        let leaky = switches.iter().any(|s| s.audit.is_some_and(|(_, left)| left > 0));
        points.push(Point {
            level: if leaky { Severity::Medium } else { Severity::Info },
            text: format!("Opt-out switches: {}.", names.join("; ")),
            filter: None,
        });
    } else if !telemetry.is_empty() {
        points.push(Point {
            level: Severity::Low,
            text: "No opt-out switch found for its telemetry.".into(),
            filter: None,
        });
    }
    let install: Vec<&&Finding> = live.iter().filter(|f| f.category == Category::Install).collect();
    if !install.is_empty() {
        let commands: Vec<&str> = install.iter().filter_map(|f| subject(&f.message)).collect();
        points.push(Point {
            level: install.iter().map(|f| f.severity).max().unwrap_or(Severity::Low),
            text: format!("Runs code when installed: {}.", commands.join(", ")),
            filter: Some(FindingFilter {
                category: Some(Category::Install),
                ..FindingFilter::default()
            }),
        });
    }
    if never_runs > 0 {
        points.push(Point {
            level: Severity::Info,
            text: format!(
                "{} in code that never runs (context only, hidden by default).",
                plural(never_runs, "finding is", "findings are")
            ),
            filter: None,
        });
    }
    if !report.errors.is_empty() {
        points.push(Point {
            level: Severity::Medium,
            text: format!(
                "{} while reading: what could not be read was not checked.",
                plural(report.errors.len(), "problem", "problems")
            ),
            filter: None,
        });
    }

    let headline = if !sent.is_empty() {
        "Phones home with data about this machine or its user".to_string()
    } else if !checks.is_empty() {
        "Checks where its user is".to_string()
    } else if !telemetry.is_empty() {
        "Has telemetry; no identifying data seen leaving".to_string()
    } else if level.is_some_and(|l| l > Severity::Info) {
        "No telemetry found; other findings to review".to_string()
    } else {
        "Nothing found that phones home or checks where its user is".to_string()
    };
    Verdict {
        level,
        headline,
        points,
        by_category,
        by_severity,
        never_runs,
        identity,
        region,
        switches,
        endpoints,
    }
}

/// What setting a switch does, in words: `stops 3 sends, 2 still leave`.
pub fn audit_in_words(audit: Option<(usize, usize)>) -> String {
    match audit {
        None => "on no send's path".to_string(),
        Some((stops, 0)) => format!("stops {}", plural(stops, "send", "sends")),
        Some((0, left)) => format!("stops nothing: {} still leave", plural(left, "send", "sends")),
        Some((stops, left)) => format!("stops {}, {left} still leave", plural(stops, "send", "sends")),
    }
}

/// Switches from findings of switch rules and from the engine's opt-out audit, one per name.
fn switches(report: &Report, rules: &RuleSet) -> Vec<Switch> {
    let rule_name = |code: &str| rules.rules().iter().find(|r| r.code == code).map(|r| r.name.as_str());
    let mut by_name: BTreeMap<String, Switch> = BTreeMap::new();
    for finding in &report.findings {
        if let (Some(name), Some(subject)) = (rule_name(&finding.rule), subject(&finding.message))
            && let Some(kind) = switch_kind(name, subject)
        {
            let entry = by_name.entry(subject.to_string()).or_insert_with(|| Switch {
                name: subject.to_string(),
                kind: kind.to_string(),
                sites: 0,
                audit: None,
            });
            entry.sites += 1;
        }
    }
    for opt_out in &report.opt_outs {
        let entry = by_name.entry(opt_out.switch.clone()).or_insert_with(|| Switch {
            name: opt_out.switch.clone(),
            kind: opt_out.kind.clone(),
            sites: 0,
            audit: None,
        });
        entry.audit = Some((opt_out.stops.len(), opt_out.does_not_stop.len()));
    }
    let mut switches: Vec<Switch> = by_name.into_values().collect();
    // Audited switches first, the most sends concerned first.
    switches.sort_by_key(|s| {
        let sends = s.audit.map_or(0, |(stops, left)| stops + left);
        (
            s.audit.is_none(),
            std::cmp::Reverse(sends),
            std::cmp::Reverse(s.sites),
            s.name.clone(),
        )
    });
    switches
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filters::tests::{finding, report};
    use telltale::report::{Endpoint, OptOut, Reachability, RunStatus, SendRef};

    fn with_message(mut f: Finding, message: &str) -> Finding {
        f.message = message.into();
        f
    }

    #[test]
    fn subjects_come_from_the_first_backticks() {
        assert_eq!(
            subject("Reads a variable: `DISABLE_TELEMETRY`; the value decides a branch"),
            Some("DISABLE_TELEMETRY")
        );
        assert_eq!(subject("no subject"), None);
        assert_eq!(subject("one ` only"), None);
    }

    #[test]
    fn a_package_sending_identity_and_checking_region() {
        let rules = RuleSet::builtin();
        let mut findings = vec![
            finding(
                "TT-ID-001",
                Category::Identity,
                Severity::Medium,
                Some(Consequence::Sent),
                "a.js",
                1,
            ),
            finding(
                "TT-ID-001",
                Category::Identity,
                Severity::Medium,
                Some(Consequence::Sent),
                "a.js",
                9,
            ),
            finding(
                "TT-REGION-001",
                Category::Region,
                Severity::High,
                Some(Consequence::Gates),
                "a.js",
                20,
            ),
            with_message(
                finding(
                    "TT-TEL-006",
                    Category::Telemetry,
                    Severity::Low,
                    Some(Consequence::Gates),
                    "a.js",
                    30,
                ),
                "Reads a telemetry opt-out or opt-in environment variable: `DISABLE_TELEMETRY`; the value decides a branch",
            ),
            finding(
                "TT-ID-002",
                Category::Identity,
                Severity::Info,
                Some(Consequence::Sent),
                "a.js",
                40,
            ),
        ];
        findings[4].reachability = Reachability {
            status: RunStatus::Unreachable,
            reason: None,
        };
        let mut report = report(findings);
        let send = |f: &Finding| SendRef {
            rule: f.rule.clone(),
            category: f.category,
            title: f.title.clone(),
            file: f.file.clone(),
            line: f.line,
            fingerprint: f.fingerprint.clone(),
        };
        report.opt_outs.push(OptOut {
            switch: "DO_NOT_TRACK".into(),
            kind: "env".into(),
            stops: vec![send(&report.findings[0])],
            does_not_stop: vec![send(&report.findings[1])],
        });
        for (host, class) in [
            ("docs.example.com", EndpointClass::Docs),
            ("api.example.com", EndpointClass::Api),
            ("events.example.com", EndpointClass::Telemetry),
        ] {
            report.endpoints.push(Endpoint {
                host: host.into(),
                urls: vec![format!("https://{host}/")],
                class,
                files: vec!["a.js".into()],
                rules: Vec::new(),
            });
        }
        let verdict = verdict(&report, rules);
        assert_eq!(verdict.headline, "Phones home with data about this machine or its user");
        assert_eq!(verdict.level, Some(Severity::High));
        assert_eq!(verdict.never_runs, 1);
        assert_eq!(verdict.by_severity, [1, 1, 2, 1, 0]);
        let identity = &verdict.by_category[2];
        assert_eq!(identity.0, Category::Identity);
        assert_eq!((identity.1.total, identity.1.sent), (3, 3));
        assert_eq!(verdict.identity.len(), 1, "the never-running read is not counted");
        assert_eq!(verdict.identity[0].counts.sent, 2);
        assert_eq!(uses_in_words(&verdict.identity[0].counts), "sent at 2 sites");
        assert_eq!(verdict.region[0].counts.gates, 1);
        let names: Vec<&str> = verdict.switches.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["DO_NOT_TRACK", "DISABLE_TELEMETRY"]);
        assert_eq!(verdict.switches[0].audit, Some((1, 1)));
        assert_eq!(verdict.switches[1].audit, None);
        assert_eq!(verdict.switches[1].sites, 1);
        assert_eq!(verdict.switches[1].kind, "env");
        let hosts: Vec<&str> = verdict
            .endpoints
            .iter()
            .map(|&i| report.endpoints[i].host.as_str())
            .collect();
        assert_eq!(hosts, ["events.example.com", "api.example.com", "docs.example.com"]);
        let texts: Vec<&str> = verdict.points.iter().map(|p| p.text.as_str()).collect();
        assert!(
            texts[0].starts_with("Sends data about the machine or its user: title of TT-ID-001 (2 sites)"),
            "{texts:?}"
        );
        assert!(texts[1].contains("(1 branch)"), "{texts:?}");
        assert!(
            texts
                .iter()
                .any(|t| t
                    .starts_with("Telemetry: 1 site in code that runs, 0 sending data; endpoints: events.example.com")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t
                    .contains("DO_NOT_TRACK (stops 1 send, 1 still leave); DISABLE_TELEMETRY (on no send's path).")),
            "{texts:?}"
        );
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with("1 finding is in code that never runs")),
            "{texts:?}"
        );
    }

    #[test]
    fn a_quiet_package() {
        let verdict = verdict(&report(Vec::new()), RuleSet::builtin());
        assert_eq!(
            verdict.headline,
            "Nothing found that phones home or checks where its user is"
        );
        assert!(verdict.points.is_empty());
        assert_eq!(verdict.level, None);
    }
}
