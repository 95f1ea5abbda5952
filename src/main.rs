//! The `telltale` command: scans packages from the command line and in CI pipelines.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use telltale::package::{Limits, human_bytes};
use telltale::report::{Report, Severity};
use telltale::rules::RuleSet;
use telltale::scan::{Input, Phase, Progress, ScanOptions, scan};

/// Exit codes (documented in README.md).
mod exit {
    /// Scan complete; no finding at or above `--fail-on`.
    pub const OK: u8 = 0;
    /// A finding at or above `--fail-on`.
    pub const FINDINGS: u8 = 1;
    /// Bad usage, or the input could not be read at all.
    pub const FATAL: u8 = 2;
    /// Part of the input could not be read (damaged archive, encrypted member, a limit); the
    /// report lists what, and everything else was analysed.
    pub const PARTIAL: u8 = 3;
}

#[derive(Parser)]
#[command(
    name = "telltale",
    version,
    about = "Does this package phone home, what does it send, and does it check where its user is?"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan a package: .tgz, .tar, .zip, .vsix, .whl, sdist, .jar, .crx, a folder or one file.
    Scan(ScanArgs),
    /// List every file of a package (nested archives included) with its kind and size.
    Files(InputArgs),
    /// Print the JSON Schema of the report.
    Schema,
    /// List the shipped rules, or write their reference as Markdown.
    Rules {
        /// Write the rule reference (docs/rules.md) instead of a list.
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(clap::Args)]
struct InputArgs {
    /// The package file or folder.
    path: PathBuf,
    /// Total bytes that may be inflated from archives (zip-bomb budget).
    #[arg(long, default_value_t = Limits::default().max_total_bytes)]
    max_total_bytes: u64,
    /// Members that may be read, nested archives included.
    #[arg(long, default_value_t = Limits::default().max_files)]
    max_files: u64,
    /// How deep nested archives are opened.
    #[arg(long, default_value_t = Limits::default().max_depth)]
    max_depth: u32,
    /// No progress bar on stderr.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(clap::Args)]
struct ScanArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// Write the report here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Exit with code 1 when a finding is at least this severe (info, low, medium, high, critical).
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<Severity>,
    /// Extra rule files (TOML, the format of `rules/`), run beside the shipped rules.
    #[arg(long, value_name = "FILE")]
    rules: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Text,
    Json,
    Sarif,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("telltale: {error:#}");
            ExitCode::from(exit::FATAL)
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Scan(args) => {
            let rules = load_rules(&args.rules)?;
            let report = scan_path(&args.input, rules.clone())?;
            let rules_used = rules.as_deref().unwrap_or_else(|| RuleSet::builtin());
            let rendered = match args.format {
                OutputFormat::Text => telltale::text::render(&report),
                OutputFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
                OutputFormat::Sarif => {
                    serde_json::to_string_pretty(&telltale::sarif::to_sarif(&report, rules_used))? + "\n"
                }
            };
            write_output(args.output.as_deref(), &rendered)?;
            Ok(exit_code(&report, args.fail_on))
        }
        Command::Files(args) => {
            let report = scan_path(&args, None)?;
            write_output(None, &telltale::text::render_files(&report))?;
            Ok(if report.is_partial() { exit::PARTIAL } else { exit::OK })
        }
        Command::Schema => {
            let schema = schemars::schema_for!(Report);
            write_output(None, &(serde_json::to_string_pretty(&schema)? + "\n"))?;
            Ok(exit::OK)
        }
        Command::Rules { markdown } => {
            let rules = RuleSet::builtin();
            let text = if markdown {
                telltale::text::rules_markdown(rules)
            } else {
                telltale::text::rules_list(rules)
            };
            write_output(None, &text)?;
            Ok(exit::OK)
        }
    }
}

/// The shipped rules plus the user's files; `None` when there are no extra files.
fn load_rules(paths: &[PathBuf]) -> Result<Option<std::sync::Arc<RuleSet>>> {
    if paths.is_empty() {
        return Ok(None);
    }
    let mut files: Vec<(String, String)> = telltale::rules::BUILTIN
        .iter()
        .map(|(origin, text)| (origin.to_string(), text.to_string()))
        .collect();
    for path in paths {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("cannot read rule file {}", path.display()))?;
        files.push((path.display().to_string(), text));
    }
    match RuleSet::compile(files) {
        Ok(set) => Ok(Some(std::sync::Arc::new(set))),
        Err(errors) => {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::bail!("invalid rules:\n  {}", lines.join("\n  "))
        }
    }
}

fn exit_code(report: &Report, fail_on: Option<Severity>) -> u8 {
    let failed = fail_on.is_some_and(|threshold| report.max_severity().is_some_and(|s| s >= threshold));
    if failed {
        exit::FINDINGS
    } else if report.is_partial() {
        exit::PARTIAL
    } else {
        exit::OK
    }
}

fn scan_path(args: &InputArgs, rules: Option<std::sync::Arc<RuleSet>>) -> Result<Report> {
    let options = ScanOptions {
        rules,
        limits: Limits {
            max_total_bytes: args.max_total_bytes,
            max_files: args.max_files,
            max_depth: args.max_depth,
            ..Limits::default()
        },
    };
    let path = &args.path;
    let metadata = std::fs::metadata(path).with_context(|| format!("cannot open {}", path.display()))?;
    let bar = progress_bar(args.quiet);
    let mut on_progress = |progress: Progress| {
        if let Some(bar) = &bar {
            let phase = match progress.phase {
                Phase::Unpacking => "unpacking",
                Phase::Analysing => "analysing",
                Phase::Done => "done",
            };
            bar.set_message(format!(
                "{phase}: {} files, {}",
                progress.files,
                human_bytes(progress.bytes)
            ));
        }
    };
    let report = if metadata.is_dir() {
        scan(Input::Folder(path), &options, &mut on_progress)
    } else {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        scan(
            Input::Bytes {
                name: &name,
                bytes: &bytes,
            },
            &options,
            &mut on_progress,
        )
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(report)
}

fn progress_bar(quiet: bool) -> Option<ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {elapsed} {msg}").ok()?);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}

fn write_output(path: Option<&Path>, text: &str) -> Result<()> {
    match path {
        Some(path) => std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(text.as_bytes()) {
                // A closed pipe (`telltale … | head`) is not an error worth reporting.
                Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write to standard output"),
            }
        }
    }
}
