//! Programs the tests run that a fresh machine (the Rust toolchain, Python 3 with pip,
//! Node with npm) does not have, provisioned on first use so that `cargo test` passes
//! with nothing installed by hand.
//!
//! Everything lands in `target/test-tools/` (so `cargo clean` resets it) and is reused
//! after: each tool is installed under a file lock, and a `ready` marker written last
//! tells later runs, and the tests that waited on the lock, that it is complete.
//!
//! - PyJWT and cryptography, pinned, installed by `pip install --target` from PyPI into a
//!   directory of their own, which the interop test puts first on `PYTHONPATH`. `--target`
//!   needs neither `ensurepip` (a separate `python3-venv` package on Debian and Ubuntu)
//!   nor a pip new enough for `--python`, and is allowed by PEP 668 on distributions that
//!   mark the system Python as externally managed.
//! - strace, for the privacy test: the one on `PATH` if there is one; otherwise the
//!   distribution's own package, fetched with `apt-get download` (which needs no root)
//!   and unpacked with `dpkg-deb -x`, with those of its libraries the system lacks. When
//!   the system's package lists are missing (container images delete them) or stale,
//!   apt reads a private copy of them, refreshed into `target/test-tools/apt/`.

use std::ffi::OsString;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The Python packages the interop test imports, pinned so that every machine checks
/// against the same implementation.
const PYTHON_PACKAGES: &[&str] = &["PyJWT==2.10.1", "cryptography==44.0.3"];

/// `target/test-tools/` of the build that made the binary under test.
fn tools_dir() -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_jwtlens"));
    // target/<profile>/jwtlens (or target/<triple>/<profile>/jwtlens)
    binary
        .parent()
        .and_then(Path::parent)
        .expect("the binary is in a profile directory under the target directory")
        .join("test-tools")
}

/// Runs `install` into `dir` unless an earlier run completed it, holding an exclusive lock
/// so that concurrent tests (threads or processes) install it once.
fn provisioned(dir: &Path, install: impl FnOnce(&Path)) -> PathBuf {
    let ready = dir.join("ready");
    if ready.exists() {
        return dir.to_owned();
    }
    std::fs::create_dir_all(dir.parent().unwrap()).unwrap();
    let lock = File::create(dir.with_extension("lock")).unwrap();
    // Released when `lock` is closed, at the end of this function.
    // SAFETY: flock on a descriptor this function owns.
    let locked = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    assert_eq!(locked, 0, "locking {}", dir.display());
    if !ready.exists() {
        // What an interrupted run left behind is not trusted.
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).unwrap();
        install(dir);
        std::fs::write(&ready, "").unwrap();
    }
    dir.to_owned()
}

/// Runs `command`, panicking with its output if it fails: a provisioning step that did
/// not work must say why.
fn run(command: &mut Command, what: &str) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("{what}: cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{what}: {command:?} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `python3` with the pinned PyJWT and cryptography importable ahead of anything the
/// system has installed (the user site is left out too).
pub fn python_with_pyjwt() -> Command {
    let packages = provisioned(&tools_dir().join("python"), |dir| {
        run(
            Command::new("python3")
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                ])
                .args(["--no-input", "--only-binary", ":all:", "--target"])
                .arg(dir.join("site"))
                .args(PYTHON_PACKAGES),
            "installing PyJWT from PyPI (needs python3 with pip, and PyPI reachable)",
        );
    });
    let mut python = Command::new("python3");
    python
        .arg("-s")
        .env("PYTHONPATH", packages.join("site"))
        .env("PYTHONDONTWRITEBYTECODE", "1");
    python
}

/// A way to start strace: the program, and the library path its unpacked libraries need
/// (which strace's `-E` keeps from the traced command).
pub struct Strace {
    pub program: PathBuf,
    pub library_path: Option<OsString>,
}

impl Strace {
    /// `strace` with the arguments that start it; the traced command follows.
    pub fn command(&self, wrapper: Option<&[&str]>) -> Command {
        let mut command = match wrapper {
            Some([program, args @ ..]) => {
                let mut command = Command::new(program);
                command.args(args).arg(&self.program);
                command
            }
            _ => Command::new(&self.program),
        };
        if let Some(library_path) = &self.library_path {
            command
                .env("LD_LIBRARY_PATH", library_path)
                .args(["-E", "LD_LIBRARY_PATH"]);
        }
        command
    }
}

/// strace: the system's, or the distribution's package unpacked under
/// `target/test-tools/strace/`.
pub fn strace() -> Strace {
    let works = |program: &Path, library_path: Option<&OsString>| {
        let mut command = Command::new(program);
        if let Some(library_path) = library_path {
            command.env("LD_LIBRARY_PATH", library_path);
        }
        command
            .arg("-V")
            .output()
            .is_ok_and(|output| output.status.success())
    };
    if works(Path::new("strace"), None) {
        return Strace {
            program: "strace".into(),
            library_path: None,
        };
    }
    let root = provisioned(&tools_dir().join("strace"), unpack_strace);
    let library_path = std::env::join_paths(library_dirs(&root.join("root"))).unwrap();
    let program = root.join("root/usr/bin/strace");
    assert!(
        works(&program, Some(&library_path)),
        "the unpacked strace does not run: {}",
        program.display()
    );
    Strace {
        program,
        library_path: Some(library_path),
    }
}

/// Downloads strace and those of its libraries that are not installed, and unpacks them
/// into `dir/root`.
fn unpack_strace(dir: &Path) {
    let debs = dir.join("debs");
    std::fs::create_dir_all(&debs).unwrap();
    let no_apt = "strace is not on PATH and this is not a Debian-like system with apt-get: \
                  install strace";
    // The system's package lists first; a private, freshly updated copy if they are
    // missing or name versions the mirror no longer has.
    if download_strace(&debs, &[]).is_err() {
        let apt = dir.join("apt");
        for sub in ["lists/partial", "cache/archives/partial"] {
            std::fs::create_dir_all(apt.join(sub)).unwrap();
        }
        let private = [
            format!("Dir::State::Lists={}", apt.join("lists").display()),
            format!("Dir::Cache={}", apt.join("cache").display()),
        ];
        let options: Vec<String> = private.iter().map(|option| format!("-o{option}")).collect();
        run(
            Command::new("apt-get")
                .arg("-qq")
                .args(&options)
                .arg("update"),
            no_apt,
        );
        if let Err(error) = download_strace(&debs, &options) {
            panic!("{no_apt}\n{error}");
        }
    }
    for deb in std::fs::read_dir(&debs).unwrap() {
        run(
            Command::new("dpkg-deb")
                .arg("-x")
                .arg(deb.unwrap().path())
                .arg(dir.join("root")),
            "unpacking strace",
        );
    }
}

/// `apt-get download` of strace and its direct dependencies that `dpkg` does not list as
/// installed, into `debs`, with extra apt `options`.
fn download_strace(debs: &Path, options: &[String]) -> Result<(), String> {
    let apt = |program: &str, args: &[&str]| -> Result<String, String> {
        let output = Command::new(program)
            .args(options)
            .args(args)
            .current_dir(debs)
            .output()
            .map_err(|error| format!("{program}: {error}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    };
    let depends = apt("apt-cache", &["depends", "--no-recommends", "strace"])?;
    let mut packages = vec!["strace".to_owned()];
    for line in depends.lines() {
        let Some(package) = line.trim().strip_prefix("Depends: ") else {
            continue;
        };
        let installed = Command::new("dpkg")
            .args(["-s", package])
            .output()
            .is_ok_and(|output| output.status.success());
        if !installed {
            packages.push(package.to_owned());
        }
    }
    let packages: Vec<&str> = packages.iter().map(String::as_str).collect();
    apt(
        "apt-get",
        &[&["-qq", "download"], packages.as_slice()].concat(),
    )
    .map(drop)
}

/// The directories under an unpacked root that hold shared libraries.
fn library_dirs(root: &Path) -> Vec<PathBuf> {
    ["lib", "usr/lib"]
        .iter()
        .filter_map(|lib| std::fs::read_dir(root.join(lib)).ok())
        .flatten()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir() && path.to_string_lossy().ends_with("-linux-gnu"))
        .collect()
}
