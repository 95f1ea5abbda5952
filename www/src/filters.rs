//! Which findings the findings panel shows, in what order and under which headings. Pure
//! functions over the [`Report`], tested natively.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use telltale::report::{Category, Consequence, Finding, Report, RunStatus, Severity};

/// What the person asked to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingFilter {
    pub category: Option<Category>,
    /// The least severity shown.
    pub min_severity: Severity,
    /// `Some(None)` asks for findings without a consequence (endpoint literals, install scripts).
    pub consequence: Option<Option<Consequence>>,
    pub file: Option<String>,
    /// Words that must all appear (any case) in the rule, title, message, file, snippet or
    /// fingerprint.
    pub text: String,
    /// Hides findings in code that never runs (the engine's reachability says why).
    pub hide_never_runs: bool,
    pub group: Grouping,
    pub sort: SortKey,
}

impl Default for FindingFilter {
    fn default() -> Self {
        FindingFilter {
            category: None,
            min_severity: Severity::Info,
            consequence: None,
            file: None,
            text: String::new(),
            hide_never_runs: true,
            group: Grouping::Rule,
            sort: SortKey::Severity,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Rule,
    File,
    Category,
    None,
}

impl Grouping {
    pub const ALL: [Grouping; 4] = [Grouping::Rule, Grouping::File, Grouping::Category, Grouping::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Rule => "rule",
            Grouping::File => "file",
            Grouping::Category => "category",
            Grouping::None => "none",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Most severe first, then by place.
    Severity,
    /// By file, then position in it.
    Place,
    /// By rule code, then place.
    Rule,
}

impl SortKey {
    pub const ALL: [SortKey; 3] = [SortKey::Severity, SortKey::Place, SortKey::Rule];

    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Severity => "severity",
            SortKey::Place => "place",
            SortKey::Rule => "rule",
        }
    }
}

/// The name a consequence goes by on the page; `none` when the finding has none.
pub fn consequence_name(consequence: Option<Consequence>) -> &'static str {
    match consequence {
        Some(Consequence::Sent) => "sent",
        Some(Consequence::Gates) => "gates",
        Some(Consequence::Local) => "local",
        Some(Consequence::Unknown) => "unknown",
        None => "none",
    }
}

/// Code that never runs when the package is used, as the engine worked it out.
pub fn never_runs(finding: &Finding) -> bool {
    finding.reachability.status == RunStatus::Unreachable
}

impl FindingFilter {
    pub fn accepts(&self, finding: &Finding) -> bool {
        self.category.is_none_or(|c| c == finding.category)
            && finding.severity >= self.min_severity
            && self.consequence.is_none_or(|c| c == finding.consequence)
            && self.file.as_ref().is_none_or(|f| *f == finding.file)
            && !(self.hide_never_runs && never_runs(finding))
            && self.matches_text(finding)
    }

    fn matches_text(&self, finding: &Finding) -> bool {
        let words: Vec<String> = self.text.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return true;
        }
        let haystack = [
            finding.rule.as_str(),
            &finding.title,
            &finding.message,
            &finding.file,
            &finding.snippet,
            &finding.fingerprint,
        ]
        .join("\n")
        .to_lowercase();
        words.iter().all(|w| haystack.contains(w.as_str()))
    }

    /// Whether only the grouping and order differ from the defaults (nothing is filtered out).
    pub fn is_unfiltered(&self) -> bool {
        let defaults = FindingFilter::default();
        FindingFilter {
            group: defaults.group,
            sort: defaults.sort,
            ..self.clone()
        } == defaults
    }
}

/// A heading and the findings under it (indices into `report.findings`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// What the findings share: a rule code, a file, a category; empty when not grouped.
    pub key: String,
    /// The rule's title for rule groups; otherwise the key.
    pub title: String,
    pub findings: Vec<usize>,
    pub max_severity: Severity,
}

/// The findings that pass `filter`, grouped and sorted: groups by their most severe finding,
/// then by key; findings by the chosen order.
pub fn arrange(report: &Report, filter: &FindingFilter) -> Vec<Group> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for (index, finding) in report.findings.iter().enumerate() {
        if !filter.accepts(finding) {
            continue;
        }
        let (key, title) = match filter.group {
            Grouping::Rule => (finding.rule.clone(), finding.title.clone()),
            Grouping::File => (finding.file.clone(), finding.file.clone()),
            Grouping::Category => (
                finding.category.as_str().to_string(),
                finding.category.as_str().to_string(),
            ),
            Grouping::None => (String::new(), String::new()),
        };
        let group = groups.entry(key.clone()).or_insert_with(|| Group {
            key,
            title,
            findings: Vec::new(),
            max_severity: Severity::Info,
        });
        group.max_severity = group.max_severity.max(finding.severity);
        group.findings.push(index);
    }
    let mut groups: Vec<Group> = groups.into_values().collect();
    for group in &mut groups {
        let findings = &report.findings;
        match filter.sort {
            SortKey::Severity => group.findings.sort_by_key(|&i| {
                let f = &findings[i];
                (Reverse(f.severity), f.file.clone(), f.span.start)
            }),
            SortKey::Place => group
                .findings
                .sort_by_key(|&i| (findings[i].file.clone(), findings[i].span.start)),
            SortKey::Rule => group.findings.sort_by_key(|&i| {
                let f = &findings[i];
                (f.rule.clone(), f.file.clone(), f.span.start)
            }),
        }
    }
    groups.sort_by(|a, b| b.max_severity.cmp(&a.max_severity).then_with(|| a.key.cmp(&b.key)));
    groups
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use telltale::package::Format;
    use telltale::report::{PackageSummary, Reachability, Span, Stats, Tool};

    pub(crate) fn finding(
        rule: &str,
        category: Category,
        severity: Severity,
        consequence: Option<Consequence>,
        file: &str,
        start: u32,
    ) -> Finding {
        Finding {
            rule: rule.into(),
            category,
            severity,
            title: format!("title of {rule}"),
            message: format!("message of {rule}"),
            file: file.into(),
            span: Span { start, end: start + 3 },
            line: 1,
            column: start + 1,
            snippet: format!("snippet at {start}"),
            fingerprint: format!("{rule}{start}"),
            consequence,
            reachability: Reachability::unknown(),
            path: Vec::new(),
            guards: Vec::new(),
            decoded: None,
        }
    }

    pub(crate) fn report(findings: Vec<Finding>) -> Report {
        Report {
            schema_version: 1,
            tool: Tool::default(),
            package: PackageSummary {
                name: Some("demo".into()),
                version: Some("1.0.0".into()),
                format: Format::Npm,
                source: "demo-1.0.0.tgz".into(),
                manifests: Vec::new(),
            },
            files: Vec::new(),
            findings,
            endpoints: Vec::new(),
            opt_outs: Vec::new(),
            errors: Vec::new(),
            stats: Stats::default(),
        }
    }

    fn sample() -> Report {
        let mut dead = finding(
            "TT-ID-001",
            Category::Identity,
            Severity::Info,
            Some(Consequence::Sent),
            "b.js",
            5,
        );
        dead.reachability = Reachability {
            status: RunStatus::Unreachable,
            reason: Some("nothing leads to it".into()),
        };
        report(vec![
            finding(
                "TT-ID-001",
                Category::Identity,
                Severity::Medium,
                Some(Consequence::Sent),
                "a.js",
                40,
            ),
            finding(
                "TT-REGION-001",
                Category::Region,
                Severity::High,
                Some(Consequence::Gates),
                "b.js",
                10,
            ),
            finding(
                "TT-ID-001",
                Category::Identity,
                Severity::Medium,
                Some(Consequence::Local),
                "a.js",
                10,
            ),
            finding("TT-NET-001", Category::Network, Severity::Low, None, "a.js", 99),
            dead,
        ])
    }

    fn indices(groups: &[Group]) -> Vec<Vec<usize>> {
        groups.iter().map(|g| g.findings.clone()).collect()
    }

    #[test]
    fn default_hides_only_what_never_runs() {
        let report = sample();
        let groups = arrange(&report, &FindingFilter::default());
        let shown: usize = groups.iter().map(|g| g.findings.len()).sum();
        assert_eq!(shown, 4);
        assert!(groups.iter().all(|g| !g.findings.contains(&4)));
        let all = FindingFilter {
            hide_never_runs: false,
            ..FindingFilter::default()
        };
        assert!(!all.is_unfiltered());
        assert_eq!(
            arrange(&report, &all).iter().map(|g| g.findings.len()).sum::<usize>(),
            5
        );
    }

    #[test]
    fn groups_by_rule_most_severe_first_with_findings_by_severity_then_place() {
        let report = sample();
        let groups = arrange(&report, &FindingFilter::default());
        let keys: Vec<&str> = groups.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["TT-REGION-001", "TT-ID-001", "TT-NET-001"]);
        assert_eq!(groups[1].title, "title of TT-ID-001");
        assert_eq!(indices(&groups), [vec![1], vec![2, 0], vec![3]]);
    }

    #[test]
    fn other_groupings_and_orders() {
        let report = sample();
        let by_file = FindingFilter {
            group: Grouping::File,
            sort: SortKey::Place,
            ..FindingFilter::default()
        };
        let groups = arrange(&report, &by_file);
        assert_eq!(groups[0].key, "b.js");
        assert_eq!(indices(&groups), [vec![1], vec![2, 0, 3]]);
        let flat = FindingFilter {
            group: Grouping::None,
            sort: SortKey::Rule,
            ..FindingFilter::default()
        };
        assert_eq!(indices(&arrange(&report, &flat)), [vec![2, 0, 3, 1]]);
        let by_category = FindingFilter {
            group: Grouping::Category,
            ..FindingFilter::default()
        };
        let keys: Vec<String> = arrange(&report, &by_category).into_iter().map(|g| g.key).collect();
        assert_eq!(keys, ["region", "identity", "network"]);
    }

    #[test]
    fn each_filter_narrows() {
        let report = sample();
        let shown = |filter: FindingFilter| -> Vec<usize> {
            let mut all: Vec<usize> = arrange(&report, &filter).into_iter().flat_map(|g| g.findings).collect();
            all.sort();
            all
        };
        let base = FindingFilter::default;
        assert_eq!(
            shown(FindingFilter {
                category: Some(Category::Identity),
                ..base()
            }),
            [0, 2]
        );
        assert_eq!(
            shown(FindingFilter {
                min_severity: Severity::Medium,
                ..base()
            }),
            [0, 1, 2]
        );
        assert_eq!(
            shown(FindingFilter {
                consequence: Some(Some(Consequence::Sent)),
                ..base()
            }),
            [0]
        );
        assert_eq!(
            shown(FindingFilter {
                consequence: Some(None),
                ..base()
            }),
            [3]
        );
        assert_eq!(
            shown(FindingFilter {
                file: Some("b.js".into()),
                ..base()
            }),
            [1]
        );
        assert_eq!(
            shown(FindingFilter {
                text: "SNIPPET  at 4".into(),
                ..base()
            }),
            [0]
        );
        assert_eq!(
            shown(FindingFilter {
                text: "region snippet".into(),
                ..base()
            }),
            [1]
        );
        assert!(
            shown(FindingFilter {
                text: "nowhere".into(),
                ..base()
            })
            .is_empty()
        );
    }
}
