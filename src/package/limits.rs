//! Budgets that keep hostile archives (zip bombs, deep nesting, millions of tiny members) from
//! exhausting memory or time. One [`Budget`] is shared by an archive and everything nested in it,
//! so a bomb cannot hide its size by splitting it across nested archives.

use serde::{Deserialize, Serialize};

/// The limits a scan runs under. The defaults fit the largest real packages seen (150 MB unpacked
/// npm packages, 250 MB single-file executables) with room to spare, and stop bombs long before
/// they hurt a browser tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Total bytes inflated out of all archives of one package, nested ones included.
    pub max_total_bytes: u64,
    /// Largest single member that is read; larger members are listed but not read.
    pub max_member_bytes: u64,
    /// Members of all archives of one package, nested ones included.
    pub max_files: u64,
    /// How many archives deep nested archives are opened (the package itself is depth 0).
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total_bytes: 2 << 30,
            max_member_bytes: 1 << 30,
            max_files: 200_000,
            max_depth: 4,
        }
    }
}

/// What is left of the [`Limits`] while one package is being unpacked.
#[derive(Debug, Clone)]
pub struct Budget {
    pub limits: Limits,
    bytes_used: u64,
    files_used: u64,
}

/// Why the budget refused a member; turned into a message that names the archive and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exhausted {
    /// The total inflated size would pass `max_total_bytes`.
    TotalBytes(u64),
    /// The member alone is larger than `max_member_bytes`.
    MemberBytes(u64),
    /// More members than `max_files`.
    Files(u64),
}

impl std::fmt::Display for Exhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Exhausted::TotalBytes(limit) => write!(
                f,
                "the package inflates past the budget of {} in total (possible zip bomb)",
                human_bytes(*limit)
            ),
            Exhausted::MemberBytes(limit) => {
                write!(f, "member is larger than the limit of {}", human_bytes(*limit))
            }
            Exhausted::Files(limit) => write!(f, "the package holds more than {limit} files (budget reached)"),
        }
    }
}

impl Budget {
    pub fn new(limits: Limits) -> Self {
        Budget {
            limits,
            bytes_used: 0,
            files_used: 0,
        }
    }

    /// Counts one more member; fails once the file budget is spent.
    pub fn take_file(&mut self) -> Result<(), Exhausted> {
        if self.files_used >= self.limits.max_files {
            return Err(Exhausted::Files(self.limits.max_files));
        }
        self.files_used += 1;
        Ok(())
    }

    /// How many bytes a member may still inflate to: the smaller of the per-member limit and
    /// what is left of the total.
    pub fn member_allowance(&self) -> u64 {
        self.limits
            .max_member_bytes
            .min(self.limits.max_total_bytes - self.bytes_used)
    }

    /// Checks a member's declared size before inflating it.
    pub fn check_declared(&self, size: u64) -> Result<(), Exhausted> {
        if size > self.limits.max_member_bytes {
            return Err(Exhausted::MemberBytes(self.limits.max_member_bytes));
        }
        if size > self.limits.max_total_bytes - self.bytes_used {
            return Err(Exhausted::TotalBytes(self.limits.max_total_bytes));
        }
        Ok(())
    }

    /// Charges bytes that were actually inflated.
    pub fn charge(&mut self, bytes: u64) {
        self.bytes_used = (self.bytes_used + bytes).min(self.limits.max_total_bytes);
    }

    pub fn bytes_used(&self) -> u64 {
        self.bytes_used
    }
}

/// `1.5 MiB`-style sizes for messages.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_refuses_past_total() {
        let mut budget = Budget::new(Limits {
            max_total_bytes: 100,
            max_member_bytes: 80,
            max_files: 2,
            max_depth: 1,
        });
        assert_eq!(budget.check_declared(90), Err(Exhausted::MemberBytes(80)));
        budget.charge(60);
        assert_eq!(budget.member_allowance(), 40);
        assert_eq!(budget.check_declared(50), Err(Exhausted::TotalBytes(100)));
        assert!(budget.take_file().is_ok());
        assert!(budget.take_file().is_ok());
        assert_eq!(budget.take_file(), Err(Exhausted::Files(2)));
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(12), "12 B");
        assert_eq!(human_bytes(2 << 30), "2.0 GiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
