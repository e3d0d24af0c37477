//! `jwtlens check`: the editor's findings for whole trees, for CI and pre-commit. Its
//! arguments, the run (walk, analyse, record, write) and its exit status; the parts are
//! `jwtlens-check`'s.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use clap::ValueEnum;

use jwtlens_check::baseline::{self, Baseline};
use jwtlens_check::output::{self, Style};
use jwtlens_check::progress::Progress;
use jwtlens_check::report::{file_report, FileReport, RecordOptions};
use jwtlens_check::walk::{self, Configs, Problem, Stats, WalkOptions};
use jwtlens_check::{history, sarif, Summary};
use jwtlens_engine::analysis::{analyse, analyse_template, DocumentContext};
use jwtlens_engine::timefmt;
use jwtlens_engine::untrusted::escape_controls;
use jwtlens_settings::Level;

use crate::exit::Exit;

/// `jwtlens check [PATH...]`
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 on a usage or \
I/O error (the scan still goes on past unreadable files, and reports them).

Tokens are never printed in full unless --show-tokens is given: the human format shows \
their first 10 characters, JSON and SARIF a SHA-256 fingerprint.")]
pub struct CheckArgs {
    /// Files and directories to check (default: the current directory). Files named
    /// here are checked even when hidden or ignored.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit with 1 when a finding is at or above this level: off (never), hint, info,
    /// warning or error.
    #[arg(long, value_name = "LEVEL", value_parser = parse_level, default_value = "error")]
    pub fail_on: Level,
    /// Report only findings that are not in this baseline file.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in this baseline file (and exit 0 unless an error).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Check standard input instead of files.
    #[arg(long, conflicts_with = "paths")]
    pub stdin: bool,
    /// The path standard input stands for: its fixture context and `.jwtlens.toml`.
    #[arg(long, value_name = "PATH", requires = "stdin")]
    pub stdin_filename: Option<PathBuf>,
    /// Check every blob ever committed in the repository around the current directory,
    /// reachable from these revisions (REV, ^REV, FROM..TO; default: every ref and HEAD).
    /// Each token is reported once, with the commit that introduced it.
    #[arg(
        long,
        value_name = "REV",
        num_args = 0..,
        conflicts_with_all = ["stdin", "paths", "staged"]
    )]
    pub history: Option<Vec<String>>,
    /// Check the index as it will be committed (staged blobs, not the working tree's
    /// files): the files that differ from HEAD, or those at or under the PATHs given.
    #[arg(long, conflicts_with = "stdin")]
    pub staged: bool,
    /// Check hidden files and directories too (`.env` files are hidden).
    #[arg(long)]
    pub hidden: bool,
    /// Do not honour .gitignore, .ignore and .jwtlensignore files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Follow symbolic links (loops are detected and skipped).
    #[arg(long, short = 'L')]
    pub follow: bool,
    /// Skip files larger than this (bytes, or with a K, M or G suffix).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "20M")]
    pub max_filesize: u64,
    /// Worker threads, for the walk and for rendering the report (default: one per core).
    #[arg(
        long,
        short = 'j',
        value_name = "N",
        default_value_t = 0,
        hide_default_value = true
    )]
    pub threads: usize,
    /// Print whole tokens (never do this in CI logs).
    #[arg(long)]
    pub show_tokens: bool,
    /// Colour the human format.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `path:line:col: severity CODE name: message`, the line, a caret, a summary.
    Human,
    /// One JSON document: `findings` (one object per finding) and `summary`.
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

fn parse_level(text: &str) -> Result<Level, String> {
    match text.to_ascii_lowercase().as_str() {
        "off" => Ok(Level::Off),
        "hint" => Ok(Level::Hint),
        "info" | "information" => Ok(Level::Info),
        "warning" | "warn" => Ok(Level::Warning),
        "error" => Ok(Level::Error),
        _ => Err("expected off, hint, info, warning or error".to_owned()),
    }
}

/// `4096`, `512K`, `20M`, `1G` (powers of 1024).
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, multiplier) = match text.char_indices().last() {
        Some((at, 'k' | 'K')) => (&text[..at], 1 << 10),
        Some((at, 'm' | 'M')) => (&text[..at], 1 << 20),
        Some((at, 'g' | 'G')) => (&text[..at], 1 << 30),
        _ => (text, 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(multiplier))
        .ok_or_else(|| format!("`{text}` is not a size (e.g. 4096, 512K, 20M, 1G)"))
}

/// Up to this many named files (and no folder) the check stays on the system allocator.
const FEW_NAMED_FILES: usize = 16;

impl CheckArgs {
    /// Whether this check may reach enough tokens for mimalloc to pay (about 2 µs a token
    /// on a 20,000-token tree): a walk of a folder (the default), more than a few named
    /// files, the history or the index. Standard input and a few named files, a
    /// pre-commit hook's usual call, stay on the system allocator, which starts with
    /// fewer pages to touch: one 1.3 KB file took 399 page faults instead of 479, and
    /// 4.15 ms instead of 4.51 (docs/performance.md).
    pub fn may_reach_many_tokens(&self) -> bool {
        self.history.is_some()
            || self.staged
            || (!self.stdin
                && (self.paths.is_empty()
                    || self.paths.len() > FEW_NAMED_FILES
                    || self.paths.iter().any(|path| path.is_dir())))
    }
}

/// Runs `jwtlens check` and returns its exit status.
pub fn run(args: &CheckArgs) -> Exit {
    let started = Instant::now();
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(err) => {
            eprintln!("jwtlens: cannot read the current directory: {err}");
            return Exit::Error;
        }
    };
    let baseline = match &args.baseline {
        Some(path) => match Baseline::load(path) {
            Ok(baseline) => Some(baseline),
            Err(err) => {
                eprintln!("jwtlens: {}: {err}", path.display());
                return Exit::Error;
            }
        },
        None => None,
    };
    let configs = Configs::discover(cwd.clone());
    let stats = Stats::default();
    let progress = Progress::new(!args.stdin && std::io::stderr().is_terminal());
    let problems = Mutex::new(Vec::new());
    let errors = AtomicU64::new(0);
    let report = |problem: Problem| {
        if problem.error {
            errors.fetch_add(1, Ordering::Relaxed);
        }
        let prefix = if problem.error { "" } else { "warning: " };
        progress.eprintln(&format!(
            "jwtlens: {prefix}{}",
            escape_controls(&problem.message)
        ));
        problems
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(problem);
    };
    let options = RecordOptions {
        show_tokens: args.show_tokens,
        snippets: args.format == Format::Human,
    };
    let now = timefmt::now();

    let mut git = None;
    let mut files = if args.history.is_some() || args.staged {
        let scan = history::Scan {
            configs: &configs,
            stats: &stats,
            report: &report,
            options,
            now,
            max_filesize: args.max_filesize,
            threads: args.threads,
            no_ignore: args.no_ignore,
        };
        let scanned = progress.show_during(&stats, || match &args.history {
            Some(revisions) => history::history(&cwd, revisions, &scan),
            None => history::staged(&cwd, &args.paths, &scan),
        });
        match scanned {
            Ok((files, summary)) => {
                git = Some(summary);
                files
            }
            Err(err) => {
                eprintln!("jwtlens: {}", escape_controls(&err.to_string()));
                return Exit::Error;
            }
        }
    } else if args.stdin {
        match check_stdin(args, &configs, &stats, &report, options, now) {
            Ok(files) => files,
            Err(err) => {
                eprintln!("jwtlens: cannot read standard input: {err}");
                return Exit::Error;
            }
        }
    } else {
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        let mut roots = Vec::new();
        for path in paths {
            match std::fs::metadata(&path) {
                Ok(_) => roots.push(path),
                Err(err) => {
                    report(Problem {
                        message: format!("{}: {err}", path.display()),
                        error: true,
                    });
                }
            }
        }
        let walk_options = WalkOptions {
            hidden: args.hidden,
            no_ignore: args.no_ignore,
            follow: args.follow,
            max_filesize: args.max_filesize,
            threads: args.threads,
        };
        let found = Mutex::new(Vec::new());
        progress.show_during(&stats, || {
            walk::walk(&roots, &walk_options, &configs, &stats, &report, || {
                |file: walk::SourceFile| {
                    if !file.may_have_findings() {
                        return;
                    }
                    let relative = file.relative();
                    let cx = DocumentContext {
                        path: Some(&relative),
                        config: file.config(),
                        now,
                        remote: None,
                    };
                    let reports = analyse(file.text, &cx);
                    let template = analyse_template(file.text, &cx);
                    if template.is_empty() && reports.iter().all(|r| r.findings.is_empty()) {
                        return;
                    }
                    let record = file_report(
                        display_path(file.path),
                        configs.absolute(file.path),
                        file.text,
                        &reports,
                        &template,
                        options,
                    );
                    if let Some(record) = record {
                        found
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(record);
                    }
                }
            });
        });
        let mut found = found.into_inner().unwrap_or_else(PoisonError::into_inner);
        // A file named twice (`check . src/a.ts`) is reported once, under its shortest
        // name, whichever thread found it first. One root never yields a file twice, and
        // comparing paths component by component is slow enough to show in a run over
        // thousands of files.
        if roots.len() > 1 {
            found.sort_by(|a, b| {
                (&a.absolute, a.path.len(), &a.path).cmp(&(&b.absolute, b.path.len(), &b.path))
            });
            found.dedup_by(|a, b| a.absolute == b.absolute);
        }
        found.sort_by(|a, b| a.path.cmp(&b.path));
        found
    };

    let mut status = Exit::Success;
    if let Some(path) = &args.write_baseline {
        if let Err(err) = std::fs::write(path, baseline::render(&files)) {
            report(Problem {
                message: format!("{}: cannot write the baseline: {err}", path.display()),
                error: true,
            });
        }
    }
    let baselined = baseline.map_or(0, |baseline| baseline.filter(&mut files));
    let summary = Summary {
        files_scanned: Stats::get(&stats.files),
        bytes_scanned: Stats::get(&stats.bytes),
        binary: Stats::get(&stats.binary),
        too_large: Stats::get(&stats.too_large),
        errors: errors.load(Ordering::Relaxed),
        baselined,
        elapsed: started.elapsed(),
        problems: problems
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner),
        git,
    };
    let failed = args.fail_on != Level::Off
        && args.write_baseline.is_none()
        && files
            .iter()
            .flat_map(|file| &file.tokens)
            .flat_map(|token| &token.findings)
            .any(|finding| finding.level >= args.fail_on);
    if failed {
        status = Exit::Failed;
    }
    if summary.errors > 0 {
        status = Exit::Error;
    }

    let stdout = std::io::stdout();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    if args.format != Format::Human {
        widen_stdout_pipe();
    }
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match args.format {
        Format::Human => output::human(&mut out, &files, &summary, Style { color }, args.threads),
        Format::Json => output::json(&mut out, &files, &summary, args.threads),
        Format::Sarif => {
            let root = repository_root(&cwd);
            let docs_url = configs
                .scope_for_dir(&cwd, &|_| {})
                .config
                .settings
                .docs_url
                .clone();
            sarif::write(&mut out, &files, &summary, &root, &docs_url, args.threads)
        }
    };
    // The process ends right after this: handing tens of thousands of records back to
    // the allocator one by one would only delay the exit.
    std::mem::forget(files);
    std::mem::forget(configs);
    // A closed pipe (`| head`) is not an error worth reporting.
    if let Err(err) = written.and_then(|()| out.flush()) {
        if err.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("jwtlens: cannot write the report: {err}");
            return Exit::Error;
        }
    }
    status
}

/// A JSON or SARIF report of tens of megabytes goes through a pipe 64 KB at a time by
/// default, each step a switch to the reader and back. A 1 MB pipe (the most an
/// unprivileged process may ask for, `/proc/sys/fs/pipe-max-size`) took a quarter off
/// moving a 43 MB SARIF report to its reader. Not a pipe, or not allowed: nothing changes.
#[cfg(target_os = "linux")]
fn widen_stdout_pipe() {
    // SAFETY: fcntl on this process's standard output with an integer argument touches no
    // memory of ours; on anything but a pipe it fails, and a failure is ignored.
    unsafe {
        libc::fcntl(libc::STDOUT_FILENO, libc::F_SETPIPE_SZ, 1 << 20);
    }
}

#[cfg(not(target_os = "linux"))]
fn widen_stdout_pipe() {}

fn check_stdin(
    args: &CheckArgs,
    configs: &Configs,
    stats: &Stats,
    report: &dyn Fn(Problem),
    options: RecordOptions,
    now: i64,
) -> std::io::Result<Vec<FileReport>> {
    let mut text = Vec::new();
    std::io::stdin().lock().read_to_end(&mut text)?;
    stats
        .files
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    stats
        .bytes
        .fetch_add(text.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let path = args.stdin_filename.as_deref();
    let scope = match path {
        Some(path) => configs.scope_for(path, report),
        None => configs.scope_for_dir(&configs.absolute(Path::new(".")), report),
    };
    let relative = path.map(|path| configs.relative(&scope, path));
    let cx = DocumentContext {
        path: relative.as_deref(),
        config: &scope.config,
        now,
        remote: None,
    };
    let reports = analyse(&text, &cx);
    let template = analyse_template(&text, &cx);
    let (display, absolute) = match path {
        Some(path) => (display_path(path), configs.absolute(path)),
        None => ("<stdin>".to_owned(), configs.absolute(Path::new("<stdin>"))),
    };
    Ok(
        file_report(display, absolute, &text, &reports, &template, options)
            .into_iter()
            .collect(),
    )
}

/// A path as shown: as walked, without a leading `./`.
fn display_path(path: &Path) -> String {
    path.strip_prefix(".")
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// The nearest directory at or above `dir` that holds `.git`, else `dir`: what SARIF
/// URIs are relative to, as GitHub code scanning expects.
fn repository_root(dir: &Path) -> PathBuf {
    dir.ancestors()
        .find(|ancestor| ancestor.join(".git").exists())
        .unwrap_or(dir)
        .to_path_buf()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_levels_parse() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512K"), Ok(512 << 10));
        assert_eq!(parse_size("20m"), Ok(20 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("lots").is_err() && parse_size("").is_err());
        assert_eq!(parse_level("warning"), Ok(Level::Warning));
        assert_eq!(parse_level("OFF"), Ok(Level::Off));
        assert!(parse_level("loud").is_err());
    }

    fn check_args(args: &[&str]) -> CheckArgs {
        #[derive(clap::Parser)]
        struct Check {
            #[command(flatten)]
            args: CheckArgs,
        }
        clap::Parser::try_parse_from([&["check"], args].concat())
            .map(|check: Check| check.args)
            .unwrap()
    }

    #[test]
    fn only_a_walk_or_many_files_may_reach_many_tokens() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.ts");
        std::fs::write(&file, "").unwrap();
        let (dir, file) = (dir.path().to_str().unwrap(), file.to_str().unwrap());
        assert!(
            check_args(&[]).may_reach_many_tokens(),
            "the current folder"
        );
        assert!(check_args(&[dir]).may_reach_many_tokens());
        assert!(check_args(&[file, dir]).may_reach_many_tokens());
        assert!(check_args(&["--history"]).may_reach_many_tokens());
        assert!(check_args(&["--staged"]).may_reach_many_tokens());
        assert!(!check_args(&[file]).may_reach_many_tokens());
        assert!(!check_args(&["--stdin"]).may_reach_many_tokens());
        let few = vec![file; FEW_NAMED_FILES];
        assert!(!check_args(&few).may_reach_many_tokens());
        let many = vec![file; FEW_NAMED_FILES + 1];
        assert!(check_args(&many).may_reach_many_tokens());
    }

    #[test]
    fn display_paths_drop_the_leading_dot() {
        assert_eq!(display_path(Path::new("./src/a.ts")), "src/a.ts");
        assert_eq!(display_path(Path::new("src/a.ts")), "src/a.ts");
        assert_eq!(display_path(Path::new("/abs/a.ts")), "/abs/a.ts");
    }
}
