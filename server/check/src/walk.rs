//! Walking paths with gitignore semantics and reading each file's text, in parallel: the
//! one walk behind `jwtlens check` and the language server's workspace diagnostics.
//!
//! The walk honours `.gitignore` (inside a git repository or not), `.ignore`,
//! `.jwtlensignore` and git's global and `info/exclude` files, skips hidden files, version
//! control directories, binary files (a NUL byte) and files over a size limit, and never
//! follows symbolic links unless asked. Paths given explicitly are always read (as ripgrep
//! does), so a pre-commit hook that passes staged files gets each of them checked.
//! Each file is read into a buffer reused by its thread, and handed to a visitor with the
//! configuration that governs it: the nearest `.jwtlens.toml` above it (the CLI) or the
//! workspace's (the editor).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read as _};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ignore::{WalkBuilder, WalkState};

use jwtlens_engine::config::{read_config_file, Config};
use jwtlens_settings::{ConfigError, Settings, Trust, CONFIG_FILE};

/// A `.gitignore`-syntax file read by jwtlens only.
pub const IGNORE_FILE: &str = ".jwtlensignore";

/// Files larger than this are skipped unless `--max-filesize` says otherwise.
pub const DEFAULT_MAX_FILESIZE: u64 = 20 * 1024 * 1024;

/// A file whose first this many bytes hold a NUL is binary without reading the rest.
const PROBE_LEN: usize = 64 * 1024;

/// A thread keeps its read buffer between files unless it grew past this.
const KEEP_BUFFER: usize = 16 * 1024 * 1024;

/// Directories of version control systems: never walked, even with `--hidden`.
const VCS_DIRS: &[&str] = &[".git", ".hg", ".svn", ".jj"];

/// How to walk.
#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Walk hidden files and directories too.
    pub hidden: bool,
    /// Ignore `.gitignore`, `.ignore`, `.jwtlensignore` and git's exclude files.
    pub no_ignore: bool,
    /// Follow symbolic links (loops are detected and skipped).
    pub follow: bool,
    /// Skip files larger than this many bytes.
    pub max_filesize: u64,
    /// Worker threads; 0 picks one per core.
    pub threads: usize,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            hidden: false,
            no_ignore: false,
            follow: false,
            max_filesize: DEFAULT_MAX_FILESIZE,
            threads: 0,
        }
    }
}

/// Counters shared by the walking threads, read by progress reports and summaries.
#[derive(Debug, Default)]
pub struct Stats {
    /// Text files read and handed to the visitor, and their bytes.
    pub files: AtomicU64,
    pub bytes: AtomicU64,
    /// Files skipped because they hold a NUL byte.
    pub binary: AtomicU64,
    /// Files skipped because they exceed the size limit.
    pub too_large: AtomicU64,
    cancelled: AtomicBool,
}

impl Stats {
    /// Asks the walk to stop as soon as possible (the editor cancelled its request).
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }

    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// Something that went wrong with one path; the walk goes on.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The whole message, naming the path.
    pub message: String,
    /// Whether the scan is incomplete because of it (an unreadable file, a broken config
    /// file); else it is a warning, such as a symbolic link loop that was skipped.
    pub error: bool,
}

/// The configuration that governs some files, and the directory their paths are
/// relative to for `fixture_paths` and `ignore_paths`.
#[derive(Debug)]
pub struct Scope {
    pub config: Arc<Config>,
    /// The directory holding the `.jwtlens.toml` (or the editor's workspace root); `None`
    /// when no file was found, and paths are relative to the current directory.
    pub root: Option<PathBuf>,
}

/// Finds the configuration of each path.
pub struct Configs {
    cwd: PathBuf,
    /// The editor's one configuration for the whole workspace.
    fixed: Option<Arc<Scope>>,
    /// The CLI's: the scope of each absolute directory seen, found by walking up.
    dirs: Mutex<HashMap<PathBuf, Arc<Scope>>>,
    /// For files with no `.jwtlens.toml` above them; built when first needed.
    default: OnceLock<Arc<Scope>>,
}

impl Configs {
    /// Each path is governed by the nearest `.jwtlens.toml` in its directory or above.
    pub fn discover(cwd: PathBuf) -> Configs {
        Configs {
            cwd,
            fixed: None,
            dirs: Mutex::new(HashMap::new()),
            default: OnceLock::new(),
        }
    }

    /// Every path is governed by `config`, with paths relative to `root`.
    pub fn fixed(config: Arc<Config>, root: PathBuf) -> Configs {
        let scope = Arc::new(Scope {
            config,
            root: Some(root.clone()),
        });
        Configs {
            cwd: root,
            fixed: Some(scope.clone()),
            dirs: Mutex::new(HashMap::new()),
            default: OnceLock::from(scope),
        }
    }

    /// The scope of a file (or of a file that would sit at `path`).
    pub fn scope_for(&self, path: &Path, report: &dyn Fn(Problem)) -> Arc<Scope> {
        if let Some(fixed) = &self.fixed {
            return fixed.clone();
        }
        let absolute = self.absolute(path);
        match absolute.parent() {
            Some(dir) => self.scope_for_dir(dir, report),
            None => self.default(report),
        }
    }

    /// The scope of files in the absolute directory `dir`.
    pub fn scope_for_dir(&self, dir: &Path, report: &dyn Fn(Problem)) -> Arc<Scope> {
        if let Some(fixed) = &self.fixed {
            return fixed.clone();
        }
        let mut dirs = self.dirs.lock().unwrap_or_else(PoisonError::into_inner);
        let mut seen = Vec::new();
        let mut current = Some(dir);
        let scope = loop {
            let Some(dir) = current else {
                break self.default(report);
            };
            if let Some(scope) = dirs.get(dir) {
                break scope.clone();
            }
            seen.push(dir.to_path_buf());
            let file = dir.join(CONFIG_FILE);
            // Anything by that name counts, so that a link to a FIFO or a device is
            // reported rather than skipped.
            if file.symlink_metadata().is_ok() {
                break Arc::new(load(dir, &file, report));
            }
            current = dir.parent();
        };
        for dir in seen {
            dirs.insert(dir, scope.clone());
        }
        scope
    }

    /// The scope of files with no `.jwtlens.toml` above them: default settings, and the
    /// keys of the current directory (its `.env` files, its test keys), as an editor that
    /// opened it would load them.
    fn default(&self, report: &dyn Fn(Problem)) -> Arc<Scope> {
        self.default
            .get_or_init(|| {
                Arc::new(Scope {
                    config: Arc::new(defaults_with_keys(&self.cwd, report)),
                    root: None,
                })
            })
            .clone()
    }

    /// `path` relative to the scope's root, for fixture and ignore globs.
    pub fn relative<'p>(&self, scope: &Scope, path: &'p Path) -> Cow<'p, Path> {
        let base = scope.root.as_deref().unwrap_or(&self.cwd);
        let plain = path.is_relative()
            && path
                .components()
                .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
        if plain && base == self.cwd {
            return Cow::Borrowed(path.strip_prefix(".").unwrap_or(path));
        }
        let absolute = self.absolute(path);
        match absolute.strip_prefix(base) {
            Ok(relative) => Cow::Owned(relative.to_path_buf()),
            Err(_) => Cow::Owned(absolute),
        }
    }

    /// `path` made absolute against the current directory, `.` and `..` resolved
    /// lexically (as the user wrote the path, not through symbolic links).
    pub fn absolute(&self, path: &Path) -> PathBuf {
        let mut absolute = PathBuf::new();
        for component in self.cwd.join(path).components() {
            match component {
                Component::CurDir => {}
                Component::ParentDir => {
                    absolute.pop();
                }
                other => absolute.push(other),
            }
        }
        absolute
    }
}

/// Reads and compiles one `.jwtlens.toml`, with the keys of its folder (its `.env` files,
/// `keys.files`, test keys: what the editor loads for that workspace). A broken one is
/// reported and the defaults govern its directory, so the rest of the scan still means
/// something; keys that cannot be loaded are warned about.
fn load(dir: &Path, file: &Path, report: &dyn Fn(Problem)) -> Scope {
    let loaded = read_config_file(dir).and_then(|text| {
        let text = text.unwrap_or_default();
        Config::build(Some(dir), Some(&text), None, Trust::Trusted).map_err(|err| match &err.span {
            Some(span) => {
                let line = text.as_bytes()[..span.start.min(text.len())]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count();
                ConfigError {
                    message: format!("line {}: {err}", line + 1),
                    span: None,
                }
            }
            None => err,
        })
    });
    let config = match loaded {
        Ok(config) => {
            // Paths are never logged: a file's name can hold anything (a token, a name).
            tracing::debug!("configuration loaded");
            report_key_problems(dir, &config, report);
            config
        }
        Err(err) => {
            report(Problem {
                message: format!("{}: {err} (using the defaults)", file.display()),
                error: true,
            });
            defaults_with_keys(dir, report)
        }
    };
    Scope {
        config: Arc::new(config),
        root: Some(dir.to_path_buf()),
    }
}

/// The default settings with the keys of `dir`, as the editor loads them for a workspace
/// without a (usable) `.jwtlens.toml`.
fn defaults_with_keys(dir: &Path, report: &dyn Fn(Problem)) -> Config {
    let config =
        Config::compile(Settings::default(), Some(dir), Trust::Trusted).unwrap_or_default();
    report_key_problems(dir, &config, report);
    config
}

/// Warns about the workspace keys in `dir` that could not be loaded: the scan goes on, but
/// a finding that needs them (JWT102) may be missing.
fn report_key_problems(dir: &Path, config: &Config, report: &dyn Fn(Problem)) {
    for problem in &config.keys.problems {
        report(Problem {
            message: format!("{}: key not loaded: {problem}", dir.display()),
            error: false,
        });
    }
}

/// One file's text, handed to the visitor.
pub struct SourceFile<'a> {
    /// The path as walked: under the path given on the command line, or absolute.
    pub path: &'a Path,
    pub text: &'a [u8],
    pub scope: &'a Scope,
    configs: &'a Configs,
}

impl SourceFile<'_> {
    pub fn config(&self) -> &Config {
        &self.scope.config
    }

    /// The path relative to its configuration's root, for `DocumentContext::path`.
    pub fn relative(&self) -> Cow<'_, Path> {
        self.configs.relative(self.scope, self.path)
    }

    /// Whether the engine could find anything here: tokens start with `eyJ`, and Clerk JWT
    /// templates hold `{{` shortcodes or are named in `clerk_templates`. Any other file
    /// skips the engine (and its path globs).
    pub fn may_have_findings(&self) -> bool {
        let config = self.config();
        memchr::memmem::find(self.text, b"eyJ").is_some()
            || memchr::memmem::find(self.text, b"{{").is_some()
            || (!config.settings.clerk_templates.is_empty()
                && config.is_clerk_template_path(&self.relative()))
    }
}

/// What reading a file found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadOutcome {
    Text,
    Binary,
    TooLarge(u64),
}

/// Reads a file into `buf` unless it is larger than `max` bytes or binary (holds a NUL:
/// a NUL in its first 64 KiB stops the read there).
pub fn read_text(path: &Path, max: u64, buf: &mut Vec<u8>) -> io::Result<ReadOutcome> {
    let mut file = File::open(path)?;
    let size = file.metadata()?.len();
    if size > max {
        return Ok(ReadOutcome::TooLarge(size));
    }
    buf.clear();
    buf.reserve(usize::try_from(size).unwrap_or(0).saturating_add(1));
    let probed = (&mut file).take(PROBE_LEN as u64).read_to_end(buf)?;
    if memchr::memchr(0, buf).is_some() {
        return Ok(ReadOutcome::Binary);
    }
    if probed == PROBE_LEN {
        // The size can change under us (or be unknown, as in /proc): never read past `max`.
        let limit = max.saturating_add(1).saturating_sub(PROBE_LEN as u64);
        (&mut file).take(limit).read_to_end(buf)?;
        if buf.len() as u64 > max {
            return Ok(ReadOutcome::TooLarge(buf.len() as u64));
        }
        if memchr::memchr(0, &buf[PROBE_LEN..]).is_some() {
            return Ok(ReadOutcome::Binary);
        }
    }
    Ok(ReadOutcome::Text)
}

/// Walks `roots` in parallel and calls a visitor (one per thread, made by `make_visitor`)
/// with every text file. Problems go to `report` and the walk goes on.
pub fn walk<F, V>(
    roots: &[PathBuf],
    options: &WalkOptions,
    configs: &Configs,
    stats: &Stats,
    report: &(dyn Fn(Problem) + Sync),
    make_visitor: F,
) where
    F: Fn() -> V + Sync,
    V: FnMut(SourceFile<'_>) + Send,
{
    let reader = |visit| FileReader {
        options,
        configs,
        stats,
        report,
        visit,
        buf: Vec::new(),
        last: None,
    };
    // A file named on the command line is checked whatever the ignore files say, so a run
    // over named files alone (a pre-commit hook's) needs no walker: its threads, git's
    // global excludes and the ignore matchers cost more than checking one small file.
    // Symbolic links keep going through the walker, which decides whether to follow them.
    let plain_file = |root: &PathBuf| std::fs::symlink_metadata(root).is_ok_and(|m| m.is_file());
    if !roots.is_empty() && roots.iter().all(plain_file) {
        let read_all = |paths: &[PathBuf]| {
            let mut reader = reader(make_visitor());
            for path in paths.iter().take_while(|_| !stats.is_cancelled()) {
                reader.file(path);
            }
        };
        // One file needs no threads, nor asking how many there could be.
        let threads = match options.threads {
            _ if roots.len() == 1 => 1,
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let per_thread = roots.len().div_ceil(threads);
        if per_thread == roots.len() {
            read_all(roots);
        } else {
            std::thread::scope(|scope| {
                for paths in roots.chunks(per_thread) {
                    scope.spawn(|| read_all(paths));
                }
            });
        }
        return;
    }

    let Some((first, rest)) = roots.split_first() else {
        return;
    };
    let mut builder = WalkBuilder::new(first);
    for root in rest {
        builder.add(root);
    }
    builder
        .standard_filters(!options.no_ignore)
        .hidden(!options.hidden)
        .require_git(false)
        .follow_links(options.follow)
        .skip_stdout(true)
        .threads(options.threads)
        .filter_entry(|entry| {
            !(entry.file_type().is_some_and(|t| t.is_dir())
                && VCS_DIRS.iter().any(|name| entry.file_name() == *name))
        });
    if !options.no_ignore {
        builder.add_custom_ignore_filename(IGNORE_FILE);
    }
    builder.build_parallel().run(|| {
        let mut reader = reader(make_visitor());
        Box::new(move |entry| {
            if stats.is_cancelled() {
                return WalkState::Quit;
            }
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    problem(&err, report);
                    return WalkState::Continue;
                }
            };
            if let Some(err) = entry.error() {
                // A partly broken ignore file: its valid lines still apply.
                report(Problem {
                    message: err.to_string(),
                    error: false,
                });
            }
            // Only regular files: not directories, FIFOs, sockets or devices, which
            // could block or never end, nor links that are not followed.
            if entry.file_type().is_some_and(|t| t.is_file()) {
                reader.file(entry.path());
            }
            WalkState::Continue
        })
    });
}

/// One thread's reading of files for `walk`: the scope and the buffer carry from one
/// file to the next.
struct FileReader<'a, V> {
    options: &'a WalkOptions,
    configs: &'a Configs,
    stats: &'a Stats,
    report: &'a (dyn Fn(Problem) + Sync),
    visit: V,
    buf: Vec<u8>,
    /// Files come directory by directory: the last directory's scope.
    last: Option<(PathBuf, Arc<Scope>)>,
}

impl<V: FnMut(SourceFile<'_>)> FileReader<'_, V> {
    /// Reads the regular file at `path` and visits it, unless its configuration ignores
    /// it or it is binary or too large.
    fn file(&mut self, path: &Path) {
        let (configs, stats, report) = (self.configs, self.stats, self.report);
        let parent = path.parent().unwrap_or(Path::new(""));
        let scope = match &self.last {
            Some((dir, scope)) if dir == parent => scope.clone(),
            _ => {
                let scope = configs.scope_for(path, report);
                self.last = Some((parent.to_path_buf(), scope.clone()));
                scope
            }
        };
        let ignored = !scope.config.settings.ignore_paths.is_empty()
            && scope
                .config
                .is_ignored_path(&configs.relative(&scope, path));
        if ignored {
            return;
        }
        match read_text(path, self.options.max_filesize, &mut self.buf) {
            Ok(ReadOutcome::Text) => {
                Stats::add(&stats.files, 1);
                Stats::add(&stats.bytes, self.buf.len() as u64);
                (self.visit)(SourceFile {
                    path,
                    text: &self.buf,
                    scope: &scope,
                    configs,
                });
            }
            Ok(ReadOutcome::Binary) => Stats::add(&stats.binary, 1),
            Ok(ReadOutcome::TooLarge(size)) => {
                tracing::debug!(size, "skipped: over the size limit");
                Stats::add(&stats.too_large, 1);
            }
            Err(err) => {
                report(Problem {
                    message: format!("{}: {err}", path.display()),
                    error: true,
                });
            }
        }
        if self.buf.capacity() > KEEP_BUFFER {
            self.buf = Vec::new();
        }
    }
}

/// Reports a walk error: a symbolic link loop is skipped with a warning; anything else
/// (an unreadable directory, a dangling link being followed) leaves the scan incomplete.
fn problem(err: &ignore::Error, report: &(dyn Fn(Problem) + Sync)) {
    if let Some((ancestor, child)) = find_loop(err) {
        report(Problem {
            message: format!(
                "{}: skipped: a symbolic link loop back to {}",
                child.display(),
                ancestor.display()
            ),
            error: false,
        });
        return;
    }
    report(Problem {
        message: err.to_string(),
        error: true,
    });
}

fn find_loop(err: &ignore::Error) -> Option<(&Path, &Path)> {
    match err {
        ignore::Error::Loop { ancestor, child } => Some((ancestor, child)),
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => find_loop(err),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn write(dir: &Path, relative: &str, contents: &[u8]) {
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    fn walked(root: &Path, options: &WalkOptions) -> (Vec<String>, Stats) {
        let configs = Configs::discover(root.to_path_buf());
        let stats = Stats::default();
        let seen = Mutex::new(Vec::new());
        walk(
            &[root.to_path_buf()],
            options,
            &configs,
            &stats,
            &|_| {},
            || {
                |file: SourceFile| {
                    let relative = file.relative().to_string_lossy().replace('\\', "/");
                    seen.lock().unwrap().push(relative);
                }
            },
        );
        let mut seen = seen.into_inner().unwrap();
        seen.sort();
        (seen, stats)
    }

    #[test]
    fn read_text_tells_text_binary_and_too_large_apart() {
        let dir = tempfile::tempdir().unwrap();
        let mut buf = Vec::new();
        write(dir.path(), "a.txt", b"hello");
        let a = dir.path().join("a.txt");
        assert_eq!(read_text(&a, 100, &mut buf).unwrap(), ReadOutcome::Text);
        assert_eq!(buf, b"hello");
        assert_eq!(
            read_text(&a, 4, &mut buf).unwrap(),
            ReadOutcome::TooLarge(5)
        );
        write(dir.path(), "b.bin", b"PK\0\x03");
        let b = dir.path().join("b.bin");
        assert_eq!(read_text(&b, 100, &mut buf).unwrap(), ReadOutcome::Binary);
        // A NUL past the probe still makes the file binary.
        let mut late = vec![b'a'; PROBE_LEN + 10];
        late[PROBE_LEN + 5] = 0;
        write(dir.path(), "c.bin", &late);
        let c = dir.path().join("c.bin");
        assert_eq!(
            read_text(&c, 1 << 20, &mut buf).unwrap(),
            ReadOutcome::Binary
        );
        late[PROBE_LEN + 5] = b'b';
        write(dir.path(), "c.bin", &late);
        assert_eq!(read_text(&c, 1 << 20, &mut buf).unwrap(), ReadOutcome::Text);
        assert_eq!(buf, late);
        assert!(read_text(&dir.path().join("missing"), 100, &mut buf).is_err());
    }

    #[test]
    fn relative_paths_follow_the_config_root_and_resolve_dots() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        write(&root, "app/.jwtlens.toml", b"");
        write(&root, "app/src/a.ts", b"");
        let configs = Configs::discover(root.clone());
        let report = |_: Problem| {};
        let scope = configs.scope_for(Path::new("./app/src/a.ts"), &report);
        assert_eq!(scope.root.as_deref(), Some(root.join("app").as_path()));
        assert_eq!(
            configs.relative(&scope, Path::new("./app/src/../src/a.ts")),
            Path::new("src/a.ts")
        );
        let outer = configs.scope_for(Path::new("b.ts"), &report);
        assert_eq!(
            configs.relative(&outer, Path::new("./b.ts")),
            Path::new("b.ts")
        );
        assert_eq!(
            configs.absolute(Path::new("x/../../y")),
            root.parent().unwrap().join("y")
        );
    }

    #[test]
    fn nearest_config_wins_and_broken_ones_are_reported_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        write(&root, ".jwtlens.toml", b"[rules]\nJWT013 = \"off\"\n");
        write(&root, "sub/.jwtlens.toml", b"clock_skew = = 1\n");
        let configs = Configs::discover(root.clone());
        let reported = AtomicUsize::new(0);
        let report = |problem: Problem| {
            assert!(
                problem.error && problem.message.contains("line 1"),
                "{problem:?}"
            );
            reported.fetch_add(1, Ordering::Relaxed);
        };
        let top = configs.scope_for(Path::new("deep/er/a.ts"), &report);
        assert!(!top.config.settings.rules.is_empty());
        let sub = configs.scope_for(Path::new("sub/a.ts"), &report);
        let sub_again = configs.scope_for(Path::new("sub/x/b.ts"), &report);
        assert!(
            sub.config.settings.rules.is_empty(),
            "defaults under a broken file"
        );
        assert!(Arc::ptr_eq(&sub, &sub_again));
        assert_eq!(reported.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn ignore_files_hidden_files_and_vcs_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, ".gitignore", b"ignored-by-git.txt\n");
        write(root, ".ignore", b"ignored-by-ignore.txt\n");
        write(root, IGNORE_FILE, b"ignored-by-jwtlens.txt\n");
        for name in [
            "kept.txt",
            "ignored-by-git.txt",
            "ignored-by-ignore.txt",
            "ignored-by-jwtlens.txt",
            ".hidden.txt",
            ".git/config",
            "sub/.git/HEAD",
        ] {
            write(root, name, b"text");
        }
        let (seen, stats) = walked(root, &WalkOptions::default());
        assert_eq!(seen, ["kept.txt"]);
        assert_eq!(Stats::get(&stats.files), 1);

        let hidden = WalkOptions {
            hidden: true,
            ..WalkOptions::default()
        };
        let (seen, _) = walked(root, &hidden);
        assert_eq!(
            seen,
            [
                ".gitignore",
                ".hidden.txt",
                ".ignore",
                IGNORE_FILE,
                "kept.txt"
            ]
        );

        let no_ignore = WalkOptions {
            no_ignore: true,
            ..WalkOptions::default()
        };
        let (seen, _) = walked(root, &no_ignore);
        assert_eq!(
            seen,
            [
                "ignored-by-git.txt",
                "ignored-by-ignore.txt",
                "ignored-by-jwtlens.txt",
                "kept.txt"
            ]
        );
    }

    #[test]
    fn ignore_paths_from_the_config_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, ".jwtlens.toml", b"ignore_paths = [\"vendor/**\"]\n");
        write(root, "vendor/lib.js", b"text");
        write(root, "src/app.js", b"text");
        let (seen, stats) = walked(root, &WalkOptions::default());
        assert_eq!(seen, ["src/app.js"]);
        assert_eq!(Stats::get(&stats.files), 1);
    }

    #[test]
    fn binary_and_large_files_are_counted_not_visited() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "a.png", b"\x89PNG\r\n\x1a\n\0\0");
        write(root, "big.txt", &[b'x'; 2000]);
        write(root, "ok.txt", b"fine");
        let options = WalkOptions {
            max_filesize: 1000,
            ..WalkOptions::default()
        };
        let (seen, stats) = walked(root, &options);
        assert_eq!(seen, ["ok.txt"]);
        assert_eq!(Stats::get(&stats.binary), 1);
        assert_eq!(Stats::get(&stats.too_large), 1);
    }
}
