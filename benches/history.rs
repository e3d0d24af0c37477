//! `jwtlens check --history` against `git log -p --all | rg TOKEN_REGEX` on the same
//! repository, in the same run.
//!
//! Two repositories: a generated one (built with `git fast-import`, then repacked: 3,000
//! commits on `main` touching a few source-like files each, with files moved and deleted,
//! feature branches merged back, tags, and tokens planted as the text grows; the same bytes
//! every time), and, when `JWTLENS_BENCH_REPO` names one, a real repository, cloned with
//! every ref (`git clone --mirror --no-hardlinks`, then given a working tree) so that
//! the original is never touched. For each, one untimed run of each command warms the
//! page cache, then they alternate `JWTLENS_BENCH_RUNS` times (default 5): the pipeline
//! (`sh -c 'git log -p --all | rg -o -n -e TOKEN_REGEX'`: every diff of every commit
//! printed, then searched) and `jwtlens check --history --fail-on off` (release build,
//! default human report). It prints each wall time, the medians, their ratio, CPU times
//! and jwtlens's peak RSS (from `wait4`). On the generated repository it checks that
//! jwtlens reported every distinct planted token.
//!
//! `cargo bench --bench history` (needs `git` and `rg`: `apt-get install ripgrep`).
//! Environment: `JWTLENS_BENCH_REPO` (a repository to race on, e.g. a clone of
//! okta/okta-auth-js), `JWTLENS_BENCH_RUNS`, `JWTLENS_BENCH_DIR` (generate the repository
//! there, keep it and reuse it next time; default: a temporary directory).

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

mod corpus;
mod measure;

use measure::{load_average, median, run, Measured, TOKEN_REGEX};

const COMMITS: usize = 3_000;
const FILES: usize = 400;
/// Lines each commit writes into each file it touches, and how many files it touches.
const LINES_PER_CHANGE: usize = 12;
const FILES_PER_COMMIT: usize = 3;
/// A feature branch (20 commits adding files under `feature-N/`) forks and merges back
/// every this many commits; a tag every `TAG_EVERY`.
const BRANCH_EVERY: usize = 300;
const TAG_EVERY: usize = 500;
const MOVE_EVERY: usize = 50;
const DELETE_EVERY: usize = 70;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn main() {
    measure::wrapper_main();
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: only build then.
    if !args.iter().any(|arg| arg == "--bench") {
        return;
    }
    for tool in ["git", "rg"] {
        if Command::new(tool).arg("--version").output().is_err() {
            eprintln!("{tool} is needed (ripgrep: apt-get install ripgrep)");
            std::process::exit(2);
        }
    }
    let runs: usize = std::env::var("JWTLENS_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("cores: {cores}; load average: {}", load_average());
    println!(
        "peak RSS is measured through a wrapper process that adds at most {} MB",
        measure::wrapper_floor_kb().div_ceil(1024)
    );

    let temp = tempfile::Builder::new()
        .prefix("jwtlens-bench-history-")
        .tempdir()
        .expect("a temporary directory");
    let generated = match std::env::var_os("JWTLENS_BENCH_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => temp.path().join("generated"),
    };
    let started = Instant::now();
    let planted = generate_once(&generated);
    println!(
        "\ngenerated repository: {} ({} distinct tokens planted), ready in {:.1} s",
        describe(&generated),
        planted,
        started.elapsed().as_secs_f64()
    );
    race(&generated, runs, Some(planted));

    match std::env::var_os("JWTLENS_BENCH_REPO") {
        Some(source) => {
            let clone = temp.path().join("real");
            let started = Instant::now();
            clone_with_every_ref(Path::new(&source), &clone);
            println!(
                "\n{}: {}, cloned in {:.1} s",
                Path::new(&source).display(),
                describe(&clone),
                started.elapsed().as_secs_f64()
            );
            race(&clone, runs, None);
        }
        None => println!("\nJWTLENS_BENCH_REPO is not set: no real repository raced"),
    }
    println!("\nload average after: {}", load_average());
}

/// Alternates the pipeline and jwtlens on `repo` and prints the figures.
fn race(repo: &Path, runs: usize, planted: Option<usize>) {
    let pipeline = || {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("git log -p --all | rg -o -n -e '{TOKEN_REGEX}'"))
            .current_dir(repo);
        command
    };
    let jwtlens = |format: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_jwtlens"));
        command
            .args(["check", "--history", "--fail-on", "off", "--format", format])
            .current_dir(repo);
        command
    };
    run(&pipeline());
    run(&jwtlens("human"));
    let mut pipeline_runs: Vec<Measured> = Vec::new();
    let mut jwtlens_runs: Vec<Measured> = Vec::new();
    println!("run   git log -p | rg   jwtlens --history   ratio   jwtlens RSS");
    for i in 0..runs {
        let a = run(&pipeline());
        assert!(a.code <= 1, "the pipeline failed: exit {}", a.code); // rg: 1 is no match
        let b = run(&jwtlens("human"));
        assert_eq!(b.code, 0, "jwtlens check --history failed: exit {}", b.code);
        println!(
            "{:>3}  {:>15.3} s  {:>15.3} s  {:>6.2}  {:>8} MB",
            i + 1,
            a.wall.as_secs_f64(),
            b.wall.as_secs_f64(),
            b.wall.as_secs_f64() / a.wall.as_secs_f64(),
            b.max_rss_kb / 1024
        );
        pipeline_runs.push(a);
        jwtlens_runs.push(b);
    }
    let medians = |runs: &[Measured]| {
        let mut wall: Vec<_> = runs.iter().map(|r| r.wall).collect();
        let mut cpu: Vec<_> = runs.iter().map(|r| r.cpu).collect();
        (median(&mut wall), median(&mut cpu))
    };
    let (pipeline_wall, pipeline_cpu) = medians(&pipeline_runs);
    let (wall, cpu) = medians(&jwtlens_runs);
    let rss = jwtlens_runs.iter().map(|r| r.max_rss_kb).max().unwrap_or(0);
    println!(
        "median of {runs}: git log -p | rg {:.3} s, jwtlens check --history {:.3} s, ratio {:.2} \
         (target < 1); CPU (user + system): {:.3} s and {:.3} s; jwtlens peak RSS {} MB",
        pipeline_wall.as_secs_f64(),
        wall.as_secs_f64(),
        wall.as_secs_f64() / pipeline_wall.as_secs_f64(),
        pipeline_cpu.as_secs_f64(),
        cpu.as_secs_f64(),
        rss / 1024
    );

    let json = run(&jwtlens("json"));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let tokens: HashSet<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["fingerprint"].as_str())
        .collect();
    let matches = pipeline_runs
        .last()
        .map_or(0, |r| r.stdout.iter().filter(|&&b| b == b'\n').count());
    let history = &report["summary"]["history"];
    println!(
        "jwtlens: {} distinct tokens ({} findings) in {} commits, {} distinct blobs ({:.0} MB read); \
         the pipeline: {matches} regex matches in the diffs (each token once per diff line that \
         adds or removes it, and any eyJ… run)",
        tokens.len(),
        report["findings"].as_array().map_or(0, Vec::len),
        history["commits"],
        history["blobs"],
        report["summary"]["bytes_scanned"].as_f64().unwrap_or(0.0) / 1e6,
    );
    if let Some(planted) = planted {
        assert_eq!(tokens.len(), planted, "jwtlens reports every planted token");
    }
}

/// `N commits, M refs, K MB packed`
fn describe(repo: &Path) -> String {
    let commits = git(repo, &["rev-list", "--all", "--count"]);
    let refs = git(repo, &["for-each-ref", "--format=x"]).lines().count();
    let packed = git(repo, &["count-objects", "-v"])
        .lines()
        .find_map(|line| line.strip_prefix("size-pack: ")?.trim().parse::<u64>().ok())
        .unwrap_or(0);
    format!(
        "{} commits, {refs} refs, {:.1} MB packed",
        commits.trim(),
        packed as f64 / 1024.0
    )
}

/// `git clone --mirror --no-hardlinks SOURCE DEST/.git`, then a working tree at `HEAD`.
fn clone_with_every_ref(source: &Path, dest: &Path) {
    let git_dir = dest.join(".git");
    let (source, git_dir) = (source.to_str(), git_dir.to_str());
    let (Some(source), Some(git_dir)) = (source, git_dir) else {
        panic!("the repository paths are UTF-8");
    };
    git(
        Path::new("."),
        &["clone", "-q", "--mirror", "--no-hardlinks", source, git_dir],
    );
    git(dest, &["config", "--bool", "core.bare", "false"]);
    git(dest, &["reset", "-q", "--hard"]);
}

/// Runs `git ARGS` in `dir`, asserting that it succeeds; its standard output.
fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stderr(Stdio::inherit())
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?} failed");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Generates the repository in `dir` unless a previous run left it there; returns the
/// number of distinct tokens its history holds.
fn generate_once(dir: &Path) -> usize {
    let marker = dir.join(".git/jwtlens-bench-tokens");
    if let Some(count) = std::fs::read_to_string(&marker)
        .ok()
        .and_then(|text| text.trim().parse().ok())
    {
        return count;
    }
    std::fs::create_dir_all(dir).expect("the repository directory");
    git(dir, &["init", "-q", "-b", "main"]);
    let mut import = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import runs");
    let mut stream = std::io::BufWriter::new(import.stdin.take().expect("piped stdin"));
    let planted = history(&mut stream).expect("write the fast-import stream");
    drop(stream);
    assert!(import.wait().expect("fast-import ends").success());
    // Packed as `git gc` would pack it, so that blobs are deltas as in a real repository.
    git(dir, &["repack", "-adq"]);
    git(dir, &["reset", "-q", "--hard"]);
    std::fs::write(&marker, planted.to_string()).expect("write the marker");
    planted
}

/// Writes the generated history as a `git fast-import` stream; returns the number of
/// distinct tokens it commits.
fn history(out: &mut impl Write) -> std::io::Result<usize> {
    let (text, _) = corpus::corpus(12 << 20, 32 << 10, true);
    let mut lines = text.split_inclusive(|&b| b == b'\n').cycle();
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let mut tokens: HashSet<Vec<u8>> = HashSet::new();
    let mut take = |n: usize, tokens: &mut HashSet<Vec<u8>>| -> Vec<Vec<u8>> {
        let taken: Vec<Vec<u8>> = (&mut lines).take(n).map(<[u8]>::to_vec).collect();
        for line in &taken {
            if let Some(rest) = line.strip_prefix(b"    const token = \"") {
                tokens.insert(rest.split(|&b| b == b'"').next().unwrap_or(rest).to_vec());
            }
        }
        taken
    };
    let mut files: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for i in 0..FILES {
        let path = format!("src/pkg{:02}/file{i:03}.ts", i % 20);
        files.insert(path, take(120, &mut tokens));
    }
    let mut mark = 0usize;
    let mut time = 1_600_000_000i64;
    let mut main_head: Option<usize> = None;
    let mut renamed = 0;
    for n in 0..COMMITS {
        time += 3_600;
        let mut changes = String::new();
        let mut blobs: Vec<(String, Vec<u8>)> = Vec::new();
        if n == 0 {
            for (path, content) in &files {
                blobs.push((path.clone(), content.concat()));
            }
        } else {
            let paths: Vec<String> = files.keys().cloned().collect();
            for _ in 0..FILES_PER_COMMIT {
                let path = &paths[rng.below(paths.len())];
                let content = files.get_mut(path).expect("the file exists");
                let at = rng.below(content.len().max(1));
                let new = take(LINES_PER_CHANGE, &mut tokens);
                // The file keeps its size: as many lines go elsewhere as come in.
                let cut = rng.below(content.len().saturating_sub(LINES_PER_CHANGE).max(1));
                content.drain(cut..(cut + LINES_PER_CHANGE).min(content.len()));
                let at = at.min(content.len());
                content.splice(at..at, new);
                blobs.push((path.clone(), content.concat()));
            }
            if n % MOVE_EVERY == 0 {
                let from = paths[rng.below(paths.len())].clone();
                renamed += 1;
                let to = format!("lib/moved{renamed:04}.ts");
                if let Some(content) = files.remove(&from) {
                    files.insert(to.clone(), content);
                    blobs.retain(|(path, _)| *path != from);
                    changes.push_str(&format!("R {from} {to}\n"));
                    let content = files[&to].concat();
                    blobs.push((to, content));
                }
            }
            if n % DELETE_EVERY == 0 {
                let paths: Vec<String> = files.keys().cloned().collect();
                let gone = paths[rng.below(paths.len())].clone();
                files.remove(&gone);
                blobs.retain(|(path, _)| *path != gone);
                changes.push_str(&format!("D {gone}\n"));
                let added = format!("src/new/file{n:05}.ts");
                let content = take(120, &mut tokens);
                blobs.push((added.clone(), content.concat()));
                files.insert(added, content);
            }
        }
        let mut merge = None;
        if n > 0 && n % BRANCH_EVERY == 0 {
            let fork = main_head.expect("main has commits");
            let mut head = fork;
            let mut added: Vec<(String, Vec<u8>)> = Vec::new();
            for k in 0..20 {
                time += 60;
                let path = format!("feature-{n}/part{k:02}.ts");
                let content = take(60, &mut tokens).concat();
                mark += 1;
                write_commit(
                    out,
                    &format!("refs/heads/feature-{n}"),
                    mark,
                    time,
                    Some(head),
                    None,
                    "",
                    &[(path.clone(), content.clone())],
                )?;
                head = mark;
                added.push((path, content));
            }
            for (path, content) in added {
                files.insert(path.clone(), vec![content.clone()]);
                blobs.push((path, content));
            }
            merge = Some(head);
        }
        mark += 1;
        write_commit(
            out,
            "refs/heads/main",
            mark,
            time,
            main_head,
            merge,
            &changes,
            &blobs,
        )?;
        main_head = Some(mark);
        if n > 0 && n % TAG_EVERY == 0 {
            writeln!(out, "reset refs/tags/v{}\nfrom :{mark}\n", n / TAG_EVERY)?;
        }
    }
    Ok(tokens.len())
}

/// One `commit` command: `changes` (deletions, renames) first, then each file written.
#[allow(clippy::too_many_arguments)]
fn write_commit(
    out: &mut impl Write,
    branch: &str,
    mark: usize,
    time: i64,
    from: Option<usize>,
    merge: Option<usize>,
    changes: &str,
    files: &[(String, Vec<u8>)],
) -> std::io::Result<()> {
    let message = format!("change {mark}");
    writeln!(out, "commit {branch}\nmark :{mark}")?;
    writeln!(out, "author Ada <ada@example.com> {time} +0000")?;
    writeln!(out, "committer Ada <ada@example.com> {time} +0000")?;
    writeln!(out, "data {}\n{message}", message.len())?;
    if let Some(from) = from {
        writeln!(out, "from :{from}")?;
    }
    if let Some(merge) = merge {
        writeln!(out, "merge :{merge}")?;
    }
    out.write_all(changes.as_bytes())?;
    for (path, content) in files {
        writeln!(out, "M 100644 inline {path}\ndata {}", content.len())?;
        out.write_all(content)?;
        writeln!(out)?;
    }
    writeln!(out)
}
