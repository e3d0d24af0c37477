//! `jwtlens check`, the real binary on temporary trees: what it walks, what it prints in
//! each format, its exit statuses, baselines, stdin, and files that fight back.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use jwtlens_test_support::tokens::{now, token};
use jwtlens_test_support::workspace::{file_uri, TempWorkspace as Tree};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// `jwtlens check` run on a temporary tree.
trait Check {
    /// Runs `jwtlens check ARGS` in the tree.
    fn check(&self, args: &[&str]) -> Run;

    /// Runs `jwtlens check ARGS` in the tree's folder `dir`, with `stdin` as its input.
    fn check_in(&self, dir: &str, args: &[&str], stdin: Option<&[u8]>) -> Run;
}

impl Check for Tree {
    fn check(&self, args: &[&str]) -> Run {
        self.check_in(".", args, None)
    }

    fn check_in(&self, dir: &str, args: &[&str], stdin: Option<&[u8]>) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jwtlens"))
            .arg("check")
            .args(args)
            .current_dir(self.path().join(dir))
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the jwtlens binary starts");
        if let Some(input) = stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(input).unwrap();
        }
        Run(child.wait_with_output().unwrap())
    }
}

/// What a `jwtlens check` run printed and how it ended (also used by `history`).
pub(crate) struct Run(pub(crate) Output);

impl Run {
    pub(crate) fn code(&self) -> i32 {
        self.0.status.code().expect("exited, not killed")
    }

    pub(crate) fn stdout(&self) -> String {
        String::from_utf8(self.0.stdout.clone()).expect("stdout is UTF-8")
    }

    pub(crate) fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.0.stdout)
            .unwrap_or_else(|err| panic!("{err}: {}\n{}", self.stdout(), self.stderr()))
    }

    /// The paths with findings, sorted and unique (JSON format).
    fn paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap().to_owned())
            .collect();
        paths.dedup();
        paths
    }

    /// Neither stream holds any of `tokens`.
    fn assert_no_token(&self, tokens: &[&str]) {
        for token in tokens {
            assert!(
                !self.stdout().contains(token) && !self.stderr().contains(token),
                "a full token was printed:\n{}\n{}",
                self.stdout(),
                self.stderr()
            );
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.0.status.code(),
            self.stdout(),
            self.stderr()
        )
    }
}

/// Signed, unexpired, from a real issuer: JWT104 (error) outside fixtures.
fn live_token(sub: &str) -> String {
    token(
        json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}),
        json!({"iss": "https://auth.acme.io", "sub": sub, "aud": "api", "jti": sub,
               "iat": now() - 60, "exp": now() + 3600}),
    )
}

/// Only JWT009 missing-aud (a warning).
fn warning_token() -> String {
    token(
        json!({"alg": "RS256"}),
        json!({"sub": "u1", "jti": "1", "iat": now(), "exp": now() + 600}),
    )
}

/// Expired 3 days ago: JWT003, an error outside fixtures and a hint inside.
fn expired_token() -> String {
    token(
        json!({"alg": "RS256"}),
        json!({"sub": "u2", "aud": "api", "jti": "2", "iat": now() - 4 * 86_400, "exp": now() - 3 * 86_400}),
    )
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn codes_at(run: &Run, path: &str) -> Vec<String> {
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == path)
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn human_output_points_at_the_token_and_redacts_it() {
    let tree = Tree::new();
    let live = live_token("u1");
    tree.write(
        "src/app.ts",
        format!("import x from 'y';\nconst token = \"{live}\";\n"),
    );
    tree.write("src/clean.ts", "export const nothing = 1;\n");
    let run = tree.check(&[]);
    assert_eq!(run.code(), 1, "{run:?}");
    let out = run.stdout();
    assert!(
        out.contains("src/app.ts:2:16: error JWT104 live-credential: "),
        "{out}"
    );
    assert!(
        out.contains("2 | const token = \"eyJhbGciOi…\";\n  |                ^^^^^^^^^^^\n"),
        "{out}"
    );
    let summary = out.lines().last().unwrap();
    assert!(
        summary.starts_with("1 finding (1 error) in 1 file · 2 files scanned ("),
        "{summary}"
    );
    assert!(
        summary.contains(" in ") && summary.ends_with(" ms"),
        "{summary}"
    );
    assert_eq!(
        run.stderr(),
        "",
        "no progress line nor logs when stderr is not a terminal"
    );
    run.assert_no_token(&[&live]);

    let shown = tree.check(&["--show-tokens"]);
    assert!(shown.stdout().contains(&live), "{shown:?}");
}

#[test]
fn ignore_files_hidden_files_and_explicit_paths() {
    let tree = Tree::new();
    let t = |n: &str| format!("const t = \"{}\";\n", live_token(n));
    tree.write(".gitignore", "dist/\n*.log\n");
    tree.write("sub/.ignore", "generated.ts\n");
    tree.write(".jwtlensignore", "vendor/\n");
    tree.write("src/app.ts", t("a"));
    tree.write("dist/bundle.js", t("b"));
    tree.write("server.log", t("c"));
    tree.write("sub/generated.ts", t("d"));
    tree.write("vendor/lib.js", t("e"));
    tree.write(".env", format!("TOKEN={}\n", live_token("f")));
    tree.write(".config/app.ts", t("g"));
    tree.write(".git/config", t("h"));

    let json = ["--format", "json"];
    assert_eq!(tree.check(&json).paths(), ["src/app.ts"]);

    let hidden = tree.check(&["--format", "json", "--hidden"]);
    assert_eq!(
        hidden.paths(),
        [".config/app.ts", ".env", "src/app.ts"],
        "--hidden walks dotfiles, never .git"
    );

    let everything = tree.check(&["--format", "json", "--no-ignore"]);
    assert_eq!(
        everything.paths(),
        [
            "dist/bundle.js",
            "server.log",
            "src/app.ts",
            "sub/generated.ts",
            "vendor/lib.js"
        ]
    );

    // Named files are checked even when ignored or hidden: what a pre-commit hook needs.
    let named = tree.check(&["--format", "json", "dist/bundle.js", ".env", "src"]);
    assert_eq!(named.paths(), [".env", "dist/bundle.js", "src/app.ts"]);
    // Named files alone are read without the walker, on one thread or several.
    for threads in ["1", "2", "3"] {
        let files = ["dist/bundle.js", ".env", "server.log", "src/app.ts"];
        let named = tree.check(&[&["--format", "json", "-j", threads][..], &files].concat());
        assert_eq!(
            named.paths(),
            [".env", "dist/bundle.js", "server.log", "src/app.ts"],
            "-j {threads}"
        );
        assert_eq!(named.json()["summary"]["files_scanned"], 4, "-j {threads}");
    }

    // A file reached through two of the paths given is reported once, under its shortest
    // name, whichever walker thread reaches it first.
    let findings = |run: &Run| run.json()["findings"].as_array().unwrap().len();
    let once = tree.check(&json);
    for twice in [
        &["--format", "json", ".", "src/app.ts"][..],
        &["--format", "json", "src", "./src/../src/app.ts"],
        &["--format", "json", "./src/../src/app.ts", "src"],
    ] {
        let run = tree.check(twice);
        assert_eq!(run.paths(), ["src/app.ts"], "{twice:?}");
        assert_eq!(findings(&run), findings(&once), "{twice:?}");
    }
}

/// JSON and SARIF reports run to tens of megabytes: they ask for a 1 MB pipe, the most an
/// unprivileged process may (fewer switches to the reader); human output leaves the pipe
/// as it is.
#[cfg(target_os = "linux")]
#[test]
fn json_and_sarif_widen_the_pipe_they_write_to() {
    use std::os::fd::AsRawFd;

    let tree = Tree::new();
    tree.write("src/app.ts", format!("a = \"{}\"\n", warning_token()));
    let pipe_size = |format: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jwtlens"))
            .args(["check", "--format", format])
            .current_dir(tree.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the jwtlens binary starts");
        let stdout = child.stdout.take().unwrap();
        // A report of one token fits the pipe: no need to read it first.
        child.wait().unwrap();
        // SAFETY: F_GETPIPE_SZ on the read end this test holds; no memory is passed.
        unsafe { libc::fcntl(stdout.as_raw_fd(), libc::F_GETPIPE_SZ) }
    };
    let max: i32 = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let default = pipe_size("human");
    let widened = if max >= 1 << 20 { 1 << 20 } else { default };
    assert!(default < 1 << 20, "a new pipe is {default} bytes");
    assert_eq!(pipe_size("json"), widened);
    assert_eq!(pipe_size("sarif"), widened);
}

#[test]
fn json_has_one_object_per_finding_with_positions_and_fingerprints() {
    let tree = Tree::new();
    let live = live_token("u1");
    let expired = expired_token();
    let text = format!("// é\n  a = [\"{live}\", '{expired}']\n");
    tree.write("src/app.ts", &text);
    let run = tree.check(&["--format", "json"]);
    assert_eq!(run.code(), 1, "{run:?}");
    run.assert_no_token(&[&live, &expired]);
    let report = run.json();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(codes_at(&run, "src/app.ts"), ["JWT104", "JWT003"]);
    let first = &findings[0];
    let start = text.find(&live).unwrap();
    assert_eq!(first["path"], "src/app.ts");
    assert_eq!(first["name"], "live-credential");
    assert_eq!(first["severity"], "error");
    assert!(first["message"]
        .as_str()
        .unwrap()
        .contains("live credential"));
    assert_eq!(
        first["range"],
        json!({
            "start": {"byte": start, "line": 2, "column": 9},
            "end": {"byte": start + live.len(), "line": 2, "column": 9 + live.len()},
        })
    );
    assert_eq!(first["fingerprint"], sha256(&live));
    assert!(first.get("token").is_none());
    assert_eq!(first["fixture"], Value::Null);
    let second = &findings[1];
    assert_eq!(second["severity"], "error");
    assert_eq!(second["range"]["start"]["column"], 9 + live.len() + 4);
    assert_eq!(second["fingerprint"], sha256(&expired));
    assert_eq!(report["summary"]["findings"]["error"], 2);
    assert_eq!(report["summary"]["files_scanned"], 1);
    assert_eq!(report["summary"]["files_with_findings"], 1);
    assert_eq!(report["errors"], json!([]));

    let shown = tree.check(&["--format", "json", "--show-tokens"]);
    assert_eq!(shown.json()["findings"][0]["token"], live);
}

#[test]
fn providers_and_fixture_context_are_reported() {
    let tree = Tree::new();
    let clerk = token(
        json!({"alg": "RS256", "kid": "ins_2abc"}),
        json!({"iss": "https://clerk.acme.io", "sub": "user_1", "sid": "sess_1", "v": 2,
               "azp": "https://app.acme.io", "iat": now() - 60, "exp": now() - 30}),
    );
    tree.write("src/__tests__/a.test.ts", format!("t = '{clerk}'\n"));
    let run = tree.check(&["--format", "json"]);
    let finding = &run.json()["findings"][0];
    assert_eq!(finding["provider"]["id"], "clerk", "{run:?}");
    assert_eq!(finding["fixture"], "fixture path");
    let expired = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "JWT003")
        .cloned()
        .unwrap();
    assert_eq!(
        expired["severity"], "hint",
        "time rules are hints in fixtures"
    );
    assert_eq!(run.code(), 0, "hints and warnings do not fail by default");
}

/// The official SARIF 2.1.0 schema, compiled (also used by `history`).
pub(crate) fn sarif_validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/sarif-schema-2.1.0.json")).unwrap();
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let validator = sarif_validator();

    let tree = Tree::new();
    std::fs::create_dir(tree.path().join(".git")).unwrap();
    let live = live_token("u1");
    let expired = expired_token();
    tree.write("src/my app.ts", format!("// 😀\nconst é = \"{live}\";\n"));
    tree.write("docs/guide.md", format!("Use `{expired}`.\n"));
    tree.write("sub/dir/.keep", "");
    let run = tree.check_in("sub/dir", &["--format", "sarif", "../.."], None);
    assert_eq!(run.code(), 1, "{run:?}");
    run.assert_no_token(&[&live, &expired]);
    let log = run.json();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{log:#}");
    // Not vacuous: the validator rejects what the schema forbids.
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!validator.is_valid(&broken));

    assert_eq!(log["version"], "2.1.0");
    let run0 = &log["runs"][0];
    assert_eq!(run0["columnKind"], "unicodeCodePoints");
    let root = file_uri(&std::fs::canonicalize(tree.path()).unwrap());
    assert_eq!(
        run0["originalUriBaseIds"]["%SRCROOT%"]["uri"],
        format!("{root}/")
    );
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let live_rule = rules.iter().find(|r| r["id"] == "JWT104").unwrap();
    assert_eq!(live_rule["name"], "live-credential");
    assert!(live_rule["shortDescription"]["text"]
        .as_str()
        .unwrap()
        .contains("unexpired"));
    assert!(live_rule["helpUri"]
        .as_str()
        .unwrap()
        .ends_with("docs/rules.md#jwt104-live-credential"));
    assert_eq!(live_rule["defaultConfiguration"]["level"], "error");

    let results = run0["results"].as_array().unwrap();
    let live_result = results.iter().find(|r| r["ruleId"] == "JWT104").unwrap();
    assert_eq!(
        rules[live_result["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "JWT104"
    );
    assert_eq!(live_result["level"], "error");
    let location = &live_result["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"],
        json!({"uri": "src/my%20app.ts", "uriBaseId": "%SRCROOT%"})
    );
    // `const é = "`: the token starts at the 12th character of line 2.
    assert_eq!(
        location["region"],
        json!({
            "startLine": 2, "startColumn": 12, "endLine": 2, "endColumn": 12 + live.len(),
            "byteOffset": "// 😀\nconst é = \"".len(), "byteLength": live.len(),
        })
    );
    assert_eq!(
        live_result["partialFingerprints"]["jwtlensToken/v1"],
        sha256(&live)
    );
    let doc = results
        .iter()
        .find(|r| r["ruleId"] == "JWT003")
        .expect("the docs token is reported");
    assert_eq!(doc["level"], "note", "a hint in fixture context is a note");
    assert_eq!(
        doc["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "docs/guide.md"
    );
}

#[test]
fn exit_statuses_follow_fail_on() {
    let tree = Tree::new();
    tree.write("clean/a.ts", "nothing here\n");
    tree.write("warn/a.ts", format!("t = \"{}\"\n", warning_token()));
    tree.write("err/a.ts", format!("t = \"{}\"\n", expired_token()));

    assert_eq!(tree.check(&["clean"]).code(), 0);
    assert_eq!(tree.check(&["warn"]).code(), 0);
    assert_eq!(tree.check(&["warn", "--fail-on", "warning"]).code(), 1);
    assert_eq!(tree.check(&["warn", "--fail-on", "info"]).code(), 1);
    assert_eq!(tree.check(&["err"]).code(), 1);
    assert_eq!(tree.check(&["err", "--fail-on", "off"]).code(), 0);

    let bad_level = tree.check(&["--fail-on", "loud"]);
    assert_eq!(bad_level.code(), 2, "{bad_level:?}");
    let conflicting = tree.check(&["--stdin", "warn"]);
    assert_eq!(conflicting.code(), 2, "{conflicting:?}");

    // A missing path is an error, and the other paths are still checked.
    let missing = tree.check(&["--format", "json", "nope", "err"]);
    assert_eq!(missing.code(), 2, "{missing:?}");
    assert!(missing.stderr().contains("jwtlens: nope: "), "{missing:?}");
    assert_eq!(missing.paths(), ["err/a.ts"]);
    assert_eq!(missing.json()["summary"]["errors"], 1);
}

#[test]
fn baseline_round_trip_reports_only_new_findings() {
    let tree = Tree::new();
    let old = live_token("old");
    tree.write("src/a.ts", format!("t = \"{old}\"\n"));
    let baseline = tree.path().join("jwtlens-baseline.json");

    let write = tree.check(&["src", "--write-baseline", "jwtlens-baseline.json"]);
    assert_eq!(
        write.code(),
        0,
        "writing a baseline accepts the findings: {write:?}"
    );
    let text = std::fs::read_to_string(&baseline).unwrap();
    assert!(!text.contains(&old), "the baseline never holds a token");
    let recorded: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        recorded["findings"][0],
        json!({"path": "src/a.ts", "line": 1, "rule": "JWT104", "fingerprint": sha256(&old)})
    );

    let again = tree.check(&["src", "--baseline", "jwtlens-baseline.json"]);
    assert_eq!(again.code(), 0, "{again:?}");
    assert!(again.stdout().starts_with("no findings"), "{again:?}");
    assert!(again.stdout().contains("1 in the baseline"), "{again:?}");

    // The old token moved to another file is still accepted; a new one is not.
    let new = live_token("new");
    std::fs::remove_file(tree.path().join("src/a.ts")).unwrap();
    tree.write("src/b.ts", format!("x\nold = \"{old}\"\nnew = \"{new}\"\n"));
    let later = tree.check(&[
        "src",
        "--format",
        "json",
        "--baseline",
        "jwtlens-baseline.json",
    ]);
    assert_eq!(later.code(), 1, "{later:?}");
    let findings = later.json()["findings"].as_array().unwrap().clone();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["fingerprint"], sha256(&new));
    assert_eq!(later.json()["summary"]["baselined"], 1);

    let unreadable = tree.check(&["src", "--baseline", "missing.json"]);
    assert_eq!(unreadable.code(), 2, "{unreadable:?}");
}

#[test]
fn stdin_takes_its_context_from_the_filename() {
    let tree = Tree::new();
    tree.write("app/.jwtlens.toml", "[rules]\nmissing-aud = \"error\"\n");
    let expired = expired_token();
    let input = format!("token: {expired}\n");

    let plain = tree.check_in(
        ".",
        &["--stdin", "--format", "json"],
        Some(input.as_bytes()),
    );
    assert_eq!(plain.code(), 1, "{plain:?}");
    assert_eq!(plain.paths(), ["<stdin>"]);

    let fixture = tree.check_in(
        ".",
        &[
            "--stdin",
            "--stdin-filename",
            "src/__tests__/a.test.ts",
            "--format",
            "json",
        ],
        Some(input.as_bytes()),
    );
    assert_eq!(
        fixture.code(),
        0,
        "expired is a hint in a test file: {fixture:?}"
    );
    assert_eq!(fixture.paths(), ["src/__tests__/a.test.ts"]);
    assert_eq!(fixture.json()["findings"][0]["severity"], "hint");

    // The config above the named path applies.
    let warning = format!("t: {}\n", warning_token());
    let outside = tree.check_in(
        ".",
        &["--stdin", "--stdin-filename", "lib/x.ts"],
        Some(warning.as_bytes()),
    );
    assert_eq!(outside.code(), 0, "{outside:?}");
    let inside = tree.check_in(
        ".",
        &["--stdin", "--stdin-filename", "app/x.ts"],
        Some(warning.as_bytes()),
    );
    assert_eq!(inside.code(), 1, "{inside:?}");
    assert!(
        inside.stdout().contains("app/x.ts:1:4: error JWT009"),
        "{inside:?}"
    );
    inside.assert_no_token(&[warning.trim_start_matches("t: ").trim()]);
}

/// A file `clerk_templates` names is a Clerk JWT template even without a `{{` shortcode
/// (one of static claims): the scan's quick look for `eyJ` and `{{` does not skip it.
#[test]
fn a_named_clerk_template_without_shortcodes_is_checked() {
    let tree = Tree::new();
    tree.write(".jwtlens.toml", "clerk_templates = [\"clerk/*.json\"]\n");
    let template = r#"{"name": "convex", "lifetime": 10, "claims": {"aud": "convex"}}"#;
    tree.write("clerk/convex.json", template);
    tree.write("other/convex.json", template);
    let run = tree.check(&["--format", "json"]);
    assert_eq!(codes_at(&run, "clerk/convex.json"), ["JWT117"], "{run:?}");
    assert_eq!(codes_at(&run, "other/convex.json"), Vec::<String>::new());
}

#[test]
fn config_is_found_by_walking_up_from_each_path() {
    let tree = Tree::new();
    tree.write(".jwtlens.toml", "[rules]\nJWT009 = \"error\"\n");
    tree.write("app/.jwtlens.toml", "fixture_paths = [\"e2e/**\"]\n");
    let warning = format!("t = \"{}\"\n", warning_token());
    let live = format!("t = \"{}\"\n", live_token("x"));
    tree.write("lib/deep/er/a.ts", &warning);
    tree.write("app/e2e/login.ts", &live);
    tree.write("app/src/login.ts", &live);

    let run = tree.check(&["--format", "json"]);
    assert_eq!(codes_at(&run, "lib/deep/er/a.ts"), ["JWT009"]);
    assert_eq!(
        run.json()["findings"][0]["severity"],
        "error",
        "the root config applies"
    );
    assert_eq!(
        codes_at(&run, "app/e2e/login.ts"),
        Vec::<String>::new(),
        "app/.jwtlens.toml makes e2e/ fixtures, relative to app/"
    );
    assert_eq!(codes_at(&run, "app/src/login.ts"), ["JWT104"]);

    // The same from inside the tree, and with the path given from elsewhere.
    let inside = tree.check_in("app/e2e", &["--format", "json"], None);
    assert_eq!(inside.json()["findings"], json!([]), "{inside:?}");
    let from_lib = tree.check_in("lib", &["--format", "json", "../app"], None);
    assert_eq!(from_lib.paths(), ["../app/src/login.ts"]);

    // A broken config is an error, reported once, and the defaults apply meanwhile.
    tree.write("broken/.jwtlens.toml", "clock_skew = = 1\n");
    tree.write("broken/a.ts", &live);
    tree.write("broken/b.ts", &live);
    let broken = tree.check(&["--format", "json", "broken"]);
    assert_eq!(broken.code(), 2, "{broken:?}");
    assert_eq!(
        broken.stderr().matches(".jwtlens.toml: line 1").count(),
        1,
        "{broken:?}"
    );
    assert_eq!(broken.paths(), ["broken/a.ts", "broken/b.ts"]);
}

#[test]
fn unreadable_files_are_reported_and_the_scan_goes_on() {
    let tree = Tree::new();
    let live = live_token("u1");
    tree.write("src/a.ts", format!("t = \"{live}\"\n"));
    std::os::unix::fs::symlink("does-not-exist.ts", tree.path().join("src/dangling.ts")).unwrap();
    let fifo = tree.path().join("src/pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());

    // Not following links, a dangling one is not read; a FIFO is never opened (it would
    // block): nothing to report.
    let quiet = tree.check(&["--format", "json"]);
    assert_eq!(quiet.code(), 1, "{quiet:?}");
    assert_eq!(quiet.stderr(), "");

    let followed = tree.check(&["--format", "json", "--follow"]);
    assert_eq!(followed.code(), 2, "{followed:?}");
    assert!(followed.stderr().contains("dangling.ts"), "{followed:?}");
    assert_eq!(followed.paths(), ["src/a.ts"], "the scan went on");
    assert_eq!(followed.json()["summary"]["errors"], 1);

    // A file that opens but cannot be read: /proc/self/mem fails with EIO at offset 0.
    if Path::new("/proc/self/mem").exists() {
        let io = tree.check(&["--format", "json", "/proc/self/mem", "src"]);
        assert_eq!(io.code(), 2, "{io:?}");
        assert!(io.stderr().contains("/proc/self/mem: "), "{io:?}");
        assert_eq!(io.paths(), ["src/a.ts"]);
    }

    // Permissions stop everyone but root, who reads anything: checked only when it can fail.
    let locked = tree.write("locked/secret.ts", format!("t = \"{live}\"\n"));
    std::fs::set_permissions(&locked, std::os::unix::fs::PermissionsExt::from_mode(0o000)).unwrap();
    if std::fs::read(&locked).is_err() {
        let denied = tree.check(&["--format", "json", "locked", "src"]);
        assert_eq!(denied.code(), 2, "{denied:?}");
        assert!(denied.stderr().contains("secret.ts"), "{denied:?}");
        assert_eq!(denied.paths(), ["src/a.ts"]);
    } else {
        eprintln!("running as root: chmod 000 cannot make a file unreadable, skipped that case");
    }
}

#[test]
fn invalid_utf8_binary_files_and_symlink_loops() {
    let tree = Tree::new();
    let live = live_token("u1");
    let mut latin1 = b"caf\xe9 \xff\xfe = \"".to_vec();
    latin1.extend_from_slice(live.as_bytes());
    latin1.extend_from_slice(b"\"\n");
    tree.write("src/latin1.conf", &latin1);
    let mut binary = b"\x7fELF\0\0\0".to_vec();
    binary.extend_from_slice(live.as_bytes());
    tree.write("bin/app", &binary);
    std::os::unix::fs::symlink("..", tree.path().join("src/loop")).unwrap();

    let run = tree.check(&["--format", "json"]);
    assert_eq!(run.code(), 1, "{run:?}");
    assert_eq!(run.paths(), ["src/latin1.conf"]);
    let start = &run.json()["findings"][0]["range"]["start"];
    // c, a, f, \xe9, space, \xff, \xfe, space, =, space, ": one character per stray byte.
    assert_eq!(start["column"], 12);
    assert_eq!(start["byte"], 11);
    assert_eq!(run.json()["summary"]["skipped"]["binary"], 1);

    let human = tree.check(&[]);
    assert!(human.stdout().contains("skipped 1 binary"), "{human:?}");
    assert!(
        human
            .stdout()
            .contains("caf\u{FFFD} \u{FFFD}\u{FFFD} = \"eyJhbGciOi…\""),
        "{human:?}"
    );

    // Following links, the loop is detected, skipped with a warning, and is no error.
    let followed = tree.check(&["--format", "json", "--follow"]);
    assert_eq!(followed.code(), 1, "{followed:?}");
    assert!(
        followed.stderr().contains("symbolic link loop"),
        "{followed:?}"
    );
    assert_eq!(followed.paths(), ["src/latin1.conf"]);
}

#[test]
fn a_hundred_thousand_empty_files() {
    let tree = Tree::new();
    for dir in 0..10 {
        let dir = tree.path().join(format!("d{dir}"));
        std::fs::create_dir(&dir).unwrap();
        for i in 0..10_000 {
            std::fs::File::create(dir.join(format!("{i}.txt"))).unwrap();
        }
    }
    tree.write("d0/live.ts", format!("t = \"{}\"\n", live_token("x")));
    let run = tree.check(&["--format", "json"]);
    assert_eq!(run.code(), 1, "{run:?}");
    assert_eq!(run.json()["summary"]["files_scanned"], 100_001);
    assert_eq!(run.paths(), ["d0/live.ts"]);
}

#[test]
fn a_hundred_megabyte_single_line_file() {
    let tree = Tree::new();
    let live = live_token("x");
    let chunk = "var a=b.c(d,e);".repeat(1000);
    let mut text = String::with_capacity(100 << 20);
    text.push_str(&format!("\"{live}\";"));
    while text.len() < 50 << 20 {
        text.push_str(&chunk);
    }
    let middle = text.len() + 1;
    text.push_str(&format!("\"{live}\";"));
    while text.len() < 100 << 20 {
        text.push_str(&chunk);
    }
    text.push_str(&format!("\"{live}\""));
    tree.write("dist/app.min.js", &text);

    let skipped = tree.check(&[]);
    assert_eq!(skipped.code(), 0, "{skipped:?}");
    assert!(
        skipped.stdout().contains("skipped 1 over --max-filesize"),
        "{skipped:?}"
    );

    let run = tree.check(&["--format", "json", "--max-filesize", "200M"]);
    assert_eq!(run.code(), 1, "{run:?}");
    let columns: Vec<(u64, u64)> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let start = &f["range"]["start"];
            (
                start["line"].as_u64().unwrap(),
                start["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            (1, 2),
            (1, middle as u64 + 1),
            (1, (text.len() - live.len()) as u64)
        ]
    );
    let human = tree.check(&["--max-filesize", "200M"]);
    let widest = human.stdout().lines().map(str::len).max().unwrap();
    assert!(
        widest < 400,
        "snippets of long lines are cut: {widest} bytes"
    );
}

/// A claim that retitles the terminal (OSC), clears it (CSI, also as the one-character
/// C1 form) and reverses the text after it (RLO): printed escaped in human output, kept as
/// data, escaped the JSON way, in JSON.
#[test]
fn terminal_escapes_in_claims_are_printed_escaped() {
    let tree = Tree::new();
    let iss = "https://idp.acme.io/\x1b]0;pwned\x07\x1b[2J\u{9b}2J\u{202E}gpj.exe";
    let hostile = token(
        json!({"alg": "HS256"}),
        json!({"iss": iss, "exp": now() + 600}),
    );
    tree.write("src/app.ts", format!("const t = \"{hostile}\";\n"));
    let unsafe_char =
        |c: char| (c.is_control() && c != '\n') || ('\u{202A}'..='\u{202E}').contains(&c);

    let human = tree.check(&[]);
    assert_eq!(human.code(), 1, "{human:?}");
    assert!(!human.stdout().contains(unsafe_char), "{human:?}");
    assert!(
        human.stdout().contains(
            "with the public issuer https://idp.acme.io/\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{9b}2J\\u{202e}gpj.exe: "
        ),
        "{human:?}"
    );

    let json = tree.check(&["--format", "json"]);
    assert!(!json.stdout().contains(unsafe_char), "{json:?}");
    assert!(json
        .stdout()
        .contains(r"\u001b]0;pwned\u0007\u001b[2J\u009b2J\u202egpj.exe"));
    let message = json.json()["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains(iss), "the data is intact: {message}");

    let sarif = tree.check(&["--format", "sarif"]);
    assert!(!sarif.stdout().contains(unsafe_char), "{sarif:?}");
}
