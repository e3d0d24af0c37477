//! Timing and measuring child processes, shared by the benchmarks that race jwtlens
//! against other tools.
//!
//! Peak RSS is measured by a small wrapper: the benchmark binary started again with
//! [`WRAPPER_FLAG`], which spawns the measured command, reaps it with `wait4` and reports
//! its wall time and `rusage`. A child's `ru_maxrss` also counts the address space it
//! had before `exec`, and a child spawned by the benchmark process (by `fork` or by
//! `posix_spawn`'s shared-memory `vfork`) starts from the benchmark's, which grows with
//! the reports it reads (hundreds of MB at 20,000 tokens in SARIF): the wrapper is a
//! fresh process of a few MB, so that is all a measured command can inherit.
//! [`wrapper_floor_kb`] measures that floor (the wrapper running `true`).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The token shape, as a regex: what ripgrep looks for.
pub const TOKEN_REGEX: &str = r"eyJ[A-Za-z0-9_-]{2,}(\.[A-Za-z0-9_-]*){2,4}";

/// The first argument that makes a benchmark binary the measuring wrapper.
const WRAPPER_FLAG: &str = "--jwtlens-bench-measure";

/// The median (the upper one of an even count); sorts `values`.
pub fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// The 1, 5 and 15 minute load averages, as `/proc/loadavg` gives them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

/// One run of a command.
pub struct Measured {
    /// From spawning the command to reaping it, timed by the wrapper (its own start-up
    /// is not included).
    pub wall: Duration,
    /// User plus system CPU time: less sensitive than wall time to other load.
    // Reported by the history bench; the check bench compares wall times with ripgrep's.
    #[allow(dead_code)]
    pub cpu: Duration,
    /// The command's peak RSS, at most the wrapper's few MB above its own.
    pub max_rss_kb: u64,
    pub code: i32,
    pub stdout: Vec<u8>,
}

/// Runs a command through the wrapper with its stdout drained by a pipe (not /dev/null,
/// which ripgrep detects and stops early for) and its stderr discarded; returns its
/// wall time, CPU time, peak RSS, exit code and output.
pub fn run(command: &Command) -> Measured {
    let mut wrapper = Command::new(std::env::current_exe().expect("this benchmark's path"));
    wrapper
        .arg(WRAPPER_FLAG)
        .arg(command.get_program())
        .args(command.get_args())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = command.get_current_dir() {
        wrapper.current_dir(dir);
    }
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => wrapper.env(name, value),
            None => wrapper.env_remove(name),
        };
    }
    let mut child = wrapper.spawn().expect("the wrapper starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let mut report = String::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut report)
        .expect("the wrapper's report");
    assert!(
        child.wait().expect("the wrapper ends").success(),
        "the wrapper failed: {report}"
    );
    let stdout = reader.join().unwrap_or_default();
    let numbers: Vec<u64> = report
        .split_whitespace()
        .map(|n| n.parse().expect("a number"))
        .collect();
    let [wall_ns, cpu_us, max_rss_kb, code] = numbers[..] else {
        panic!("the wrapper reported {report:?}");
    };
    Measured {
        wall: Duration::from_nanos(wall_ns),
        cpu: Duration::from_micros(cpu_us),
        max_rss_kb,
        code: code as i32 - 1,
        stdout,
    }
}

/// What the wrapper alone can add to a peak RSS: the peak of `true` run through it.
pub fn wrapper_floor_kb() -> u64 {
    run(&Command::new("true")).max_rss_kb
}

/// Call first in a benchmark's `main`: when this process was started as the wrapper,
/// runs the command named by the arguments (stdin and stdout inherited, stderr
/// discarded), writes `wall_ns cpu_us max_rss_kb exit_code+1` (0 when killed by a
/// signal) to stderr and exits.
// The child is reaped by wait4 (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn wrapper_main() {
    let mut args = std::env::args_os().skip(1);
    if args.next().is_none_or(|flag| flag != WRAPPER_FLAG) {
        return;
    }
    let program = args.next().expect("a program to measure");
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stderr(Stdio::null())
        .spawn()
        .expect("the measured command starts");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 only writes to our two locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4 reaped the child");
    let micros = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status) as u64 + 1
    } else {
        0
    };
    eprintln!(
        "{} {} {} {code}",
        wall.as_nanos(),
        micros(usage.ru_utime) + micros(usage.ru_stime),
        usage.ru_maxrss
    );
    std::process::exit(0);
}
