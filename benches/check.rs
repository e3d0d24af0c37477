//! `jwtlens check` against ripgrep on the same trees, in the same run, in every output
//! format.
//!
//! Generates four deterministic trees (source-like text from `corpus/mod.rs`, cut into
//! files at line ends): about 100 MB with no token, with about 2,000 and with about 20,000
//! tokens, and 20,000 small files with about 18,000 tokens. Each tree is read once by each
//! tool untimed (warm page cache); then, per round, ripgrep (the token regex, each match
//! printed with its line number) and `jwtlens check` in the human, JSON and SARIF formats
//! run back to back, and each jwtlens run is divided by the ripgrep run of its round: the
//! table shows the median of those paired ratios (robust to other load on a shared
//! machine, which hits both runs of a pair alike more often than not) and jwtlens's peak
//! RSS (the largest of the rounds, from `wait4` in a small wrapper process: see
//! `measure/mod.rs`). Then the time to check one small file, process start included,
//! against ripgrep's on the same file. Every token tree's JSON report must hold every
//! planted token.
//!
//! `cargo bench --bench check` (needs `rg`: `apt-get install ripgrep`). Environment:
//! `JWTLENS_BENCH_RUNS` (rounds per tree, default 5), `JWTLENS_BENCH_DIR` (generate there,
//! keep it and reuse it next time; default: a temporary directory, removed afterwards),
//! `JWTLENS_BENCH_TREES` (the trees to run, as indices from 0 separated by commas, in the
//! order of the table; default all; `none` runs the small file only).

use std::path::{Path, PathBuf};
use std::process::Command;

mod corpus;
mod measure;

use measure::{load_average, median, run, TOKEN_REGEX};

const FORMATS: [&str; 3] = ["human", "json", "sarif"];

/// Process runs of each tool on the one small file.
const SMALL_FILE_RUNS: usize = 31;

/// One generated tree.
struct TreeSpec {
    name: &'static str,
    files: usize,
    bytes: usize,
    /// A token every this many bytes; 0 for none.
    token_every: usize,
}

const TREES: [TreeSpec; 4] = [
    TreeSpec {
        name: "no tokens",
        files: 5_000,
        bytes: 100 << 20,
        token_every: 0,
    },
    TreeSpec {
        name: "2,000 tokens",
        files: 5_000,
        bytes: 100 << 20,
        token_every: 52 << 10,
    },
    TreeSpec {
        name: "20,000 tokens",
        files: 5_000,
        bytes: 100 << 20,
        token_every: 5_200,
    },
    TreeSpec {
        name: "small files, 18,000 tokens",
        files: 20_000,
        bytes: 50 << 20,
        token_every: 2_900,
    },
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn main() {
    measure::wrapper_main();
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, index, dir] = args.as_slice() {
        if flag == "--generate" {
            let spec = &TREES[index.parse::<usize>().expect("a tree index")];
            let (bytes, tokens) = generate(spec, Path::new(dir));
            println!("{bytes} {tokens}");
            return;
        }
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: only build then.
    if !args.iter().any(|arg| arg == "--bench") {
        return;
    }
    if Command::new("rg").arg("--version").output().is_err() {
        eprintln!("ripgrep is needed: apt-get install ripgrep");
        std::process::exit(2);
    }
    let runs: usize = std::env::var("JWTLENS_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let temp;
    let base = match std::env::var_os("JWTLENS_BENCH_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            temp = tempfile::Builder::new()
                .prefix("jwtlens-bench-")
                .tempdir()
                .expect("a temporary directory");
            temp.path().to_path_buf()
        }
    };
    std::fs::create_dir_all(&base).expect("the corpus directory");
    let base = std::fs::canonicalize(&base).expect("the corpus directory exists");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "cores: {cores}; load average: {}; rg: {}",
        load_average(),
        String::from_utf8_lossy(&Command::new("rg").arg("--version").output().unwrap().stdout)
            .lines()
            .next()
            .unwrap_or_default()
    );
    println!(
        "peak RSS is measured through a wrapper process that adds at most {} MB",
        measure::wrapper_floor_kb().div_ceil(1024)
    );
    println!(
        "\n| tree | files | MB | tokens | rg median | human | JSON | SARIF | peak RSS human / JSON / SARIF |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let selected: Option<Vec<usize>> = std::env::var("JWTLENS_BENCH_TREES").ok().map(|list| {
        list.split(',')
            .filter_map(|index| index.trim().parse().ok())
            .collect()
    });
    for (index, spec) in TREES.iter().enumerate() {
        if selected.as_ref().is_some_and(|list| !list.contains(&index)) {
            continue;
        }
        let dir = base.join(format!("tree{index}"));
        let (bytes, tokens) = tree(index, &dir);
        // Warm the page cache (and both binaries) with one untimed run each.
        run(&rg(&dir));
        run(&check(&dir, "human"));
        let mut rg_walls = Vec::new();
        let mut ratios = [vec![], vec![], vec![]];
        let mut rss = [0u64; 3];
        let mut found = None;
        for _ in 0..runs {
            let grep = run(&rg(&dir));
            rg_walls.push(grep.wall);
            for (f, format) in FORMATS.iter().enumerate() {
                let ours = run(&check(&dir, format));
                assert!(ours.code <= 1, "jwtlens check failed: exit {}", ours.code);
                ratios[f].push(ours.wall.as_secs_f64() / grep.wall.as_secs_f64());
                rss[f] = rss[f].max(ours.max_rss_kb);
                if *format == "json" && found.is_none() {
                    found = Some(planted_tokens_found(&ours.stdout));
                }
            }
        }
        assert_eq!(
            found,
            Some(tokens),
            "jwtlens finds every planted token in {}",
            spec.name
        );
        let mut ratio = |f: usize| format!("{:.2}×", median_f64(&mut ratios[f]));
        println!(
            "| {} | {} | {:.0} | {tokens} | {:.3} s | {} | {} | {} | {} / {} / {} MB |",
            spec.name,
            spec.files,
            bytes as f64 / 1e6,
            median(&mut rg_walls).as_secs_f64(),
            ratio(0),
            ratio(1),
            ratio(2),
            rss[0] / 1024,
            rss[1] / 1024,
            rss[2] / 1024,
        );
    }

    // One small file, process start included: what a pre-commit hook pays per file.
    let small = base.join("one-file");
    std::fs::create_dir_all(&small).expect("mkdir");
    let (text, planted) = corpus::corpus(1_000, 400, true);
    let file = small.join("app.ts");
    std::fs::write(&file, &text).expect("write");
    let (mut ours, mut grep, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..SMALL_FILE_RUNS {
        let grep_wall = run(&rg(&file)).wall;
        let mut command = Command::new(env!("CARGO_BIN_EXE_jwtlens"));
        command.arg("check").arg(&file);
        let ours_run = run(&command);
        assert!(
            ours_run.code <= 1,
            "jwtlens check failed: exit {}",
            ours_run.code
        );
        ratios.push(ours_run.wall.as_secs_f64() / grep_wall.as_secs_f64());
        grep.push(grep_wall);
        ours.push(ours_run.wall);
    }
    println!(
        "
one {} B file with {planted} tokens: jwtlens check {:.1} ms, rg {:.1} ms (medians \
         of {SMALL_FILE_RUNS}; paired ratio {:.2}×); load average after: {}",
        text.len(),
        median(&mut ours).as_secs_f64() * 1e3,
        median(&mut grep).as_secs_f64() * 1e3,
        median_f64(&mut ratios),
        load_average()
    );
}

/// Generates tree `index` in `dir` unless a previous run did (a kept directory holds a
/// marker with its numbers); returns its bytes and planted tokens. Generated by a child
/// process, so that this one does not hold the whole corpus.
fn tree(index: usize, dir: &Path) -> (u64, usize) {
    let marker = dir.join(".jwtlens-bench-corpus");
    let numbers = match std::fs::read_to_string(&marker) {
        Ok(text) => text,
        Err(_) => {
            std::fs::create_dir_all(dir).expect("mkdir");
            let generated = Command::new(std::env::current_exe().expect("this benchmark's path"))
                .arg("--generate")
                .arg(index.to_string())
                .arg(dir)
                .output()
                .expect("the generator runs");
            assert!(generated.status.success(), "the generator failed");
            let text = String::from_utf8_lossy(&generated.stdout).into_owned();
            std::fs::write(&marker, &text).expect("write the marker");
            // Let the kernel write the new files out now rather than during the runs.
            // SAFETY: sync(2) has no preconditions.
            unsafe { libc::sync() };
            text
        }
    };
    let mut numbers = numbers
        .split_whitespace()
        .map(|n| n.parse::<u64>().expect("a number"));
    let bytes = numbers.next().expect("bytes");
    let tokens = numbers.next().expect("tokens") as usize;
    (bytes, tokens)
}

/// ripgrep with the token regex, each match printed with its line number.
fn rg(path: &Path) -> Command {
    let mut command = Command::new("rg");
    command
        .args([
            "--no-require-git",
            "--no-messages",
            "-o",
            "-n",
            "-e",
            TOKEN_REGEX,
        ])
        .arg(path);
    command
}

fn check(dir: &Path, format: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jwtlens"));
    command.args(["check", "--format", format]).arg(dir);
    command
}

/// How many distinct tokens (path and start) a JSON report has findings on.
fn planted_tokens_found(json: &[u8]) -> usize {
    let report: serde_json::Value = serde_json::from_slice(json).expect("JSON");
    let mut tokens: Vec<(String, u64)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_owned(),
                f["range"]["start"]["byte"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    tokens.sort();
    tokens.dedup();
    tokens.len()
}

fn median_f64(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Writes the tree under `dir`, the same bytes every time: the corpus cut at line ends
/// into files of varied sizes in 25 directories per level. Returns bytes and tokens.
fn generate(spec: &TreeSpec, dir: &Path) -> (u64, usize) {
    let (stream, tokens) =
        corpus::corpus(spec.bytes, spec.token_every.max(1), spec.token_every > 0);
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let weights: Vec<usize> = (0..spec.files)
        .map(|_| 1_000 + (rng.next() % 13_000) as usize)
        .collect();
    let total: usize = weights.iter().sum();
    let extensions = [
        "ts", "js", "py", "rs", "go", "java", "json", "yaml", "md", "txt",
    ];
    let mut at = 0;
    for (i, weight) in weights.iter().enumerate() {
        let mut end = if i + 1 == spec.files {
            stream.len()
        } else {
            (at + weight * stream.len() / total).min(stream.len())
        };
        while end < stream.len() && stream[end - 1] != b'\n' {
            end += 1;
        }
        let path = dir.join(format!(
            "src/pkg{:02}/mod{:02}/file{i}.{}",
            i % 40,
            (i / 40) % 25,
            extensions[i % extensions.len()]
        ));
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(&path, &stream[at..end]).expect("write");
        at = end;
    }
    assert_eq!(at, stream.len(), "every planted token is in a file");
    (stream.len() as u64, tokens)
}
