//! Timing and measuring child processes, shared by the benchmarks that race jwtlens
//! against other tools.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The token shape, as a regex: what ripgrep looks for.
pub const TOKEN_REGEX: &str = r"eyJ[A-Za-z0-9_-]{2,}(\.[A-Za-z0-9_-]*){2,4}";

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
    pub wall: Duration,
    /// User plus system CPU time: less sensitive than wall time to other load.
    // Reported by the history bench; the check bench compares wall times with ripgrep's.
    #[allow(dead_code)]
    pub cpu: Duration,
    pub max_rss_kb: u64,
    pub code: i32,
    pub stdout: Vec<u8>,
}

/// Runs a command with its stdout drained by a pipe (not /dev/null, which ripgrep
/// detects and stops early for), timing it and reading its peak RSS.
// The child is reaped by wait4 (which also gives its rusage), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn run(command: &mut Command) -> Measured {
    command.stdout(Stdio::piped()).stderr(Stdio::null());
    let started = Instant::now();
    let mut child = command.spawn().expect("the command starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and wait4 only writes to our two locals.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4 reaped the child");
    let stdout = reader.join().unwrap_or_default();
    let cpu = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Measured {
        wall,
        cpu: cpu(usage.ru_utime) + cpu(usage.ru_stime),
        max_rss_kb: usage.ru_maxrss as u64,
        code: if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            -1
        },
        stdout,
    }
}
