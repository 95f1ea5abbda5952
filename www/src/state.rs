//! The page's state: the packages dropped so far and where each one is, what is being looked
//! at, and the person's own rules. Changed only through [`Action`]s, so every change is one
//! arm of [`State::reduce`].

use std::rc::Rc;

use sha2::{Digest, Sha256};
use telltale::pretty::Excerpt;
use telltale::report::{Report, Span};
use telltale::rules::{BUILTIN, RuleSet};
use telltale::scan::Progress;
use yew::Reducible;

use crate::filters::FindingFilter;
use crate::panels::drop_zone::Dropped;
use crate::protocol::{JobId, RuleText};

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// The browser is reading the file(s).
    Reading,
    Running(Progress),
    /// Still running, with a report on what is in so far, which the complete one replaces.
    Partial {
        report: Rc<Report>,
        progress: Progress,
    },
    Done(Rc<Report>),
    Failed(String),
    Cancelled,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PackageState {
    pub job: JobId,
    pub name: String,
    pub bytes: u64,
    pub status: Status,
    /// What was dropped, to scan again with new rules; `None` for a report opened from a file,
    /// which has no package behind it.
    pub input: Option<Dropped>,
}

/// The views of a package's report, one tab each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Overview,
    Findings,
    Files,
    Rules,
}

/// A place in the package's code that a finding or a path step points at.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceTarget {
    pub file: String,
    pub span: Span,
    /// What the finding or step says is here.
    pub label: String,
}

/// The source being shown: where, and the excerpt once the worker sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceState {
    pub job: JobId,
    pub file: String,
    pub span: Span,
    /// How wide the window is: 1 at first, one more per "show more".
    pub context: u32,
    /// What the finding or step says is here, shown above the code.
    pub label: String,
    pub excerpt: Option<Result<Excerpt, String>>,
}

/// The rules scans run with: the shipped ones, plus the person's files when there are any.
#[derive(Debug, Clone, Default)]
pub struct ActiveRules {
    pub files: Vec<RuleText>,
    compiled: Option<Rc<RuleSet>>,
}

impl PartialEq for ActiveRules {
    fn eq(&self, other: &Self) -> bool {
        self.files == other.files
    }
}

impl ActiveRules {
    pub fn with_files(files: Vec<RuleText>, compiled: RuleSet) -> Self {
        ActiveRules {
            files,
            compiled: Some(Rc::new(compiled)),
        }
    }

    pub fn set(&self) -> &RuleSet {
        self.compiled.as_deref().unwrap_or_else(|| RuleSet::builtin())
    }

    /// Names the rules in use: a digest of the shipped rule files (the engine has no rule-pack
    /// version), their count, and the person's files.
    pub fn version(&self) -> String {
        let mut digest = Sha256::new();
        for (origin, text) in BUILTIN {
            digest.update(origin.as_bytes());
            digest.update(text.as_bytes());
        }
        let hash: String = digest.finalize()[..4].iter().map(|b| format!("{b:02x}")).collect();
        let mut version = format!("{hash} ({} rules)", BUILTIN.len());
        match self.files.len() {
            0 => {}
            1 => version.push_str(" + 1 rule file of yours"),
            n => version.push_str(&format!(" + {n} rule files of yours")),
        }
        version
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    pub packages: Vec<PackageState>,
    /// The package whose results are shown.
    pub selected: Option<JobId>,
    pub view: View,
    pub filter: FindingFilter,
    /// The finding whose details are open (an index into the selected report's findings).
    pub open_finding: Option<usize>,
    pub source: Option<SourceState>,
    pub rules: ActiveRules,
    /// Why the last rule files given could not be used, one line each.
    pub rule_errors: Vec<String>,
}

pub enum Action {
    Added {
        job: JobId,
        name: String,
        bytes: u64,
        input: Option<Dropped>,
    },
    Progress {
        job: JobId,
        progress: Progress,
    },
    Partial {
        job: JobId,
        report: Box<Report>,
        progress: Progress,
    },
    Done {
        job: JobId,
        report: Box<Report>,
    },
    Failed {
        job: JobId,
        message: String,
    },
    Cancelled {
        job: JobId,
    },
    /// The package is being scanned again (new rules).
    Rescanning {
        job: JobId,
    },
    Select {
        job: JobId,
    },
    Remove {
        job: JobId,
    },
    Show(View),
    /// Shows the findings view with this filter.
    Filter(FindingFilter),
    OpenFinding(Option<usize>),
    OpenSource(SourceState),
    CloseSource,
    SourceArrived {
        job: JobId,
        file: String,
        span: Span,
        context: u32,
        excerpt: Result<Excerpt, String>,
    },
    Rules(ActiveRules),
    RuleErrors(Vec<String>),
}

impl State {
    pub fn selected(&self) -> Option<&PackageState> {
        let job = self.selected?;
        self.packages.iter().find(|p| p.job == job)
    }

    /// Forgets what was open in a report that changed or went away.
    fn close_details(&mut self) {
        self.open_finding = None;
        self.source = None;
    }

    /// `job`'s report is now `report`: what was open in the one before stays open if it is still
    /// the same finding (a partial report grows as findings come in); a new scan closes it.
    fn replace_report(&mut self, job: JobId, report: &Report) {
        let Some(package) = self.packages.iter().find(|p| p.job == job) else {
            return;
        };
        let old = match &package.status {
            Status::Partial { report, .. } | Status::Done(report) => Some(report),
            _ => None,
        };
        let open = self.open_finding;
        let same = |old: &Report| {
            open.is_none_or(|index| match (old.findings.get(index), report.findings.get(index)) {
                (Some(a), Some(b)) => a.fingerprint == b.fingerprint && a.file == b.file,
                _ => false,
            })
        };
        if self.selected == Some(job) && !old.is_some_and(|old| same(old)) {
            self.close_details();
        }
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut state = (*self).clone();
        let set = |state: &mut State, job: JobId, status: Status| {
            if let Some(package) = state.packages.iter_mut().find(|p| p.job == job) {
                // A late progress message must not undo a final state.
                if matches!(
                    package.status,
                    Status::Reading | Status::Running(_) | Status::Partial { .. }
                ) {
                    package.status = status;
                }
            }
        };
        match action {
            Action::Added {
                job,
                name,
                bytes,
                input,
            } => {
                state.packages.push(PackageState {
                    job,
                    name,
                    bytes,
                    status: Status::Reading,
                    input,
                });
                state.selected.get_or_insert(job);
            }
            Action::Progress { job, progress } => {
                let partial = state
                    .packages
                    .iter()
                    .find(|p| p.job == job)
                    .and_then(|p| match &p.status {
                        Status::Partial { report, .. } => Some(report.clone()),
                        _ => None,
                    });
                let status = match partial {
                    // The partial report stays until the next one.
                    Some(report) => Status::Partial { report, progress },
                    None => Status::Running(progress),
                };
                set(&mut state, job, status);
            }
            Action::Partial { job, report, progress } => {
                state.replace_report(job, &report);
                let report = Rc::new(*report);
                set(&mut state, job, Status::Partial { report, progress });
            }
            Action::Done { job, report } => {
                state.replace_report(job, &report);
                set(&mut state, job, Status::Done(Rc::new(*report)));
            }
            Action::Failed { job, message } => set(&mut state, job, Status::Failed(message)),
            Action::Cancelled { job } => set(&mut state, job, Status::Cancelled),
            Action::Rescanning { job } => {
                if let Some(package) = state.packages.iter_mut().find(|p| p.job == job) {
                    package.status = Status::Reading;
                }
            }
            Action::Select { job } => {
                if state.selected != Some(job) {
                    state.selected = Some(job);
                    state.filter.file = None;
                    state.close_details();
                }
            }
            Action::Remove { job } => {
                state.packages.retain(|p| p.job != job);
                if state.selected == Some(job) {
                    state.selected = state.packages.first().map(|p| p.job);
                    state.close_details();
                }
            }
            Action::Show(view) => state.view = view,
            Action::Filter(filter) => {
                state.filter = filter;
                state.view = View::Findings;
            }
            Action::OpenFinding(index) => state.open_finding = index,
            Action::OpenSource(source) => state.source = Some(source),
            Action::CloseSource => state.source = None,
            Action::SourceArrived {
                job,
                file,
                span,
                context,
                excerpt,
            } => {
                if let Some(source) = &mut state.source
                    && (source.job, &source.file, source.span, source.context) == (job, &file, span, context)
                {
                    source.excerpt = Some(excerpt);
                }
            }
            Action::Rules(rules) => {
                state.rules = rules;
                state.rule_errors.clear();
            }
            Action::RuleErrors(errors) => state.rule_errors = errors,
        }
        Rc::new(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filters::tests::{finding, report};
    use telltale::report::{Category, Consequence, Severity};
    use telltale::scan::Phase;

    fn progress(files: u64) -> Progress {
        Progress {
            phase: Phase::Analysing,
            files,
            bytes: files * 10,
        }
    }

    fn with(findings: &[(&str, u32)]) -> Box<Report> {
        let findings = findings
            .iter()
            .map(|&(file, start)| {
                finding(
                    "TT-ID-001",
                    Category::Identity,
                    Severity::Medium,
                    Some(Consequence::Sent),
                    file,
                    start,
                )
            })
            .collect();
        Box::new(report(findings))
    }

    fn scanning() -> Rc<State> {
        Rc::new(State::default()).reduce(Action::Added {
            job: 1,
            name: "demo-1.0.0.tgz".into(),
            bytes: 100,
            input: None,
        })
    }

    #[test]
    fn a_partial_report_stays_through_progress_until_the_complete_one_replaces_it() {
        let state = scanning()
            .reduce(Action::Progress {
                job: 1,
                progress: progress(1),
            })
            .reduce(Action::Partial {
                job: 1,
                report: with(&[("a.js", 1)]),
                progress: progress(2),
            })
            .reduce(Action::Progress {
                job: 1,
                progress: progress(3),
            });
        let Status::Partial { report, progress: now } = &state.packages[0].status else {
            panic!("{:?}", state.packages[0].status);
        };
        assert_eq!((report.findings.len(), now.files), (1, 3));

        let state = state.reduce(Action::Done {
            job: 1,
            report: with(&[("a.js", 1), ("b.js", 2)]),
        });
        let Status::Done(report) = &state.packages[0].status else {
            panic!("{:?}", state.packages[0].status);
        };
        assert_eq!(report.findings.len(), 2);
        // A late message changes nothing.
        let state = state
            .reduce(Action::Progress {
                job: 1,
                progress: progress(4),
            })
            .reduce(Action::Partial {
                job: 1,
                report: with(&[]),
                progress: progress(4),
            });
        assert!(matches!(&state.packages[0].status, Status::Done(r) if r.findings.len() == 2));
    }

    #[test]
    fn an_open_finding_stays_open_while_it_is_the_same_finding() {
        let state = scanning()
            .reduce(Action::Partial {
                job: 1,
                report: with(&[("a.js", 1)]),
                progress: progress(1),
            })
            .reduce(Action::OpenFinding(Some(0)));
        // More findings after it: the same one is still at its place.
        let state = state.reduce(Action::Partial {
            job: 1,
            report: with(&[("a.js", 1), ("b.js", 2)]),
            progress: progress(2),
        });
        assert_eq!(state.open_finding, Some(0));
        // One before it: what was open has moved, so it is closed.
        let state = state.reduce(Action::Done {
            job: 1,
            report: with(&[("0.js", 0), ("a.js", 1), ("b.js", 2)]),
        });
        assert_eq!(state.open_finding, None);
    }
}
