//! The page's state: the packages dropped so far and where each one is. Changed only through
//! [`Action`]s, so every change is one line in [`State::reduce`].

use std::rc::Rc;

use telltale::report::Report;
use telltale::scan::Progress;
use yew::Reducible;

use crate::protocol::JobId;

#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// The browser is reading the file(s).
    Reading,
    Running(Progress),
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
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct State {
    pub packages: Vec<PackageState>,
    /// The package whose results are shown.
    pub selected: Option<JobId>,
}

pub enum Action {
    Added { job: JobId, name: String, bytes: u64 },
    Progress { job: JobId, progress: Progress },
    Done { job: JobId, report: Box<Report> },
    Failed { job: JobId, message: String },
    Cancelled { job: JobId },
    Select { job: JobId },
    Remove { job: JobId },
}

impl State {
    pub fn selected(&self) -> Option<&PackageState> {
        let job = self.selected?;
        self.packages.iter().find(|p| p.job == job)
    }
}

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut state = (*self).clone();
        let set = |state: &mut State, job: JobId, status: Status| {
            if let Some(package) = state.packages.iter_mut().find(|p| p.job == job) {
                // A late progress message must not undo a final state.
                if matches!(package.status, Status::Reading | Status::Running(_)) {
                    package.status = status;
                }
            }
        };
        match action {
            Action::Added { job, name, bytes } => {
                state.packages.push(PackageState {
                    job,
                    name,
                    bytes,
                    status: Status::Reading,
                });
                state.selected.get_or_insert(job);
            }
            Action::Progress { job, progress } => set(&mut state, job, Status::Running(progress)),
            Action::Done { job, report } => set(&mut state, job, Status::Done(Rc::new(*report))),
            Action::Failed { job, message } => set(&mut state, job, Status::Failed(message)),
            Action::Cancelled { job } => set(&mut state, job, Status::Cancelled),
            Action::Select { job } => state.selected = Some(job),
            Action::Remove { job } => {
                state.packages.retain(|p| p.job != job);
                if state.selected == Some(job) {
                    state.selected = state.packages.first().map(|p| p.job);
                }
            }
        }
        Rc::new(state)
    }
}
