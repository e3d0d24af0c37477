//! `jwtlens check --history` and `--staged` on repositories built with the git CLI in
//! temporary directories: tokens added, moved, deleted and added again; branches, tags, a
//! merge and revision ranges; a shallow clone; corrupt and missing objects; what is
//! skipped (LFS pointers, submodules, binary and large blobs); a non-UTF-8 path; the index
//! against the working tree, in a real pre-commit hook; SARIF, baselines, and the editor's
//! warning after replacing a live credential.

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::check::Run;
use jwtlens_test_support::client::in_process;
use jwtlens_test_support::tokens::{now, token};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The first commit's author and committer date; each commit is a day later.
const EPOCH: i64 = 1_700_000_000;

/// A repository built with the git CLI, with deterministic names and dates.
struct Repo {
    _dir: Option<tempfile::TempDir>,
    path: PathBuf,
    clock: Cell<i64>,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("repo");
        std::fs::create_dir(&path).unwrap();
        let repo = Repo {
            _dir: Some(dir),
            path,
            clock: Cell::new(EPOCH - 86_400),
        };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// A repository made elsewhere (a clone), kept alive by `owner`.
    fn at(path: PathBuf) -> Repo {
        Repo {
            _dir: None,
            path,
            clock: Cell::new(EPOCH),
        }
    }

    fn git(&self, args: &[&str]) -> String {
        let output = self.git_command(args).output().unwrap();
        assert!(
            output.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    fn git_command(&self, args: &[&str]) -> Command {
        let date = format!("@{} +0000", self.clock.get());
        let mut command = Command::new("git");
        command
            .args(args)
            .current_dir(&self.path)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Ada")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_NAME", "Ada")
            .env("GIT_COMMITTER_EMAIL", "ada@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .stdin(Stdio::null());
        command
    }

    fn write(&self, relative: impl AsRef<Path>, contents: impl AsRef<[u8]>) {
        let path = self.path.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    fn remove(&self, relative: &str) {
        std::fs::remove_file(self.path.join(relative)).unwrap();
    }

    /// Stages everything and commits a day after the previous commit: (id, date).
    fn commit(&self, message: &str) -> (String, i64) {
        self.git(&["add", "-A"]);
        self.commit_index(message)
    }

    /// Commits the index as it is, a day after the previous commit.
    fn commit_index(&self, message: &str) -> (String, i64) {
        self.clock.set(self.clock.get() + 86_400);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        (self.git(&["rev-parse", "HEAD"]), self.clock.get())
    }

    fn check(&self, args: &[&str]) -> Run {
        check_in(&self.path, args)
    }
}

fn check_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_jwtlens"))
        .arg("check")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("the jwtlens binary starts");
    Run(output)
}

// `check`'s run, with what the history tests read from it.
impl Run {
    fn findings(&self) -> Vec<Value> {
        self.json()["findings"].as_array().unwrap().clone()
    }

    /// The finding of the token `text` with rule `code`.
    fn finding(&self, text: &str, code: &str) -> Value {
        let fingerprint = sha256(text);
        self.findings()
            .into_iter()
            .find(|f| f["fingerprint"] == fingerprint && f["code"] == code)
            .unwrap_or_else(|| panic!("no {code} for that token: {self:?}"))
    }
}

/// A live token and its expiry: signed, unexpired, from a real issuer (JWT104 outside
/// fixture context, nothing else).
fn live_token(sub: &str) -> (String, i64) {
    let exp = now() + 3600;
    let token = token(
        json!({"alg": "RS256", "kid": "k1", "typ": "JWT"}),
        json!({"iss": "https://auth.acme.io", "sub": sub, "aud": "api", "jti": sub,
               "iat": now() - 60, "exp": exp}),
    );
    (token, exp)
}

/// Expired three days ago: JWT003 only.
fn expired_token(sub: &str) -> String {
    token(
        json!({"alg": "RS256"}),
        json!({"sub": sub, "aud": "api", "jti": sub, "iat": now() - 4 * 86_400, "exp": now() - 3 * 86_400}),
    )
}

fn sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `2023-11-15T22:13:20Z`
fn rfc3339(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn utc(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap()
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string()
}

fn revoke_message(exp: i64) -> String {
    format!(
        "live credential in the git history (issued by https://auth.acme.io, valid until {}): \
         deleting it from the tree is not enough, everyone who cloned the repository has it: revoke it",
        utc(exp)
    )
}

/// The provenance fields of a finding, in one value to compare at once.
fn provenance(finding: &Value) -> Value {
    let mut fields = serde_json::Map::new();
    for key in [
        "path",
        "commit",
        "commit_date",
        "last_commit",
        "last_commit_date",
        "paths",
        "in_worktree",
    ] {
        if let Some(value) = finding.get(key) {
            fields.insert(key.to_owned(), value.clone());
        }
    }
    Value::Object(fields)
}

#[test]
fn tokens_added_moved_deleted_and_added_again_are_reported_once_with_their_history() {
    let repo = Repo::new();
    let (a, a_exp) = live_token("a");
    let b = expired_token("b");
    let (c, c_exp) = live_token("c");
    let (d, _) = live_token("d");
    let (e, _) = live_token("e");
    repo.write("src/config.ts", format!("export const token = \"{a}\";\n"));
    repo.write("tests/fixtures/d.json", format!("{{\"token\": \"{d}\"}}\n"));
    repo.write("tests/e.test.ts", format!("const e = '{e}';\n"));
    let (c1, t1) = repo.commit("add");
    repo.git(&["mv", "src/config.ts", "src/settings.ts"]);
    repo.write("src/old.ts", format!("// old\nlet b = \"{b}\";\n"));
    repo.write("src/keys.ts", format!("{c}\n"));
    let (c2, t2) = repo.commit("move and add");
    for path in ["src/settings.ts", "src/old.ts", "src/keys.ts"] {
        repo.remove(path);
    }
    repo.write("README.txt", "nothing here\n");
    // The fixture token copied into the code: no longer test data.
    repo.write("src/live.ts", format!("export const d = \"{d}\";\n"));
    let (_c3, _) = repo.commit("delete");
    repo.write("lib/auth.ts", format!("// again\nconst t = '{a}';\n"));
    let (c4, t4) = repo.commit("add again");

    let run = repo.check(&["--history", "--format", "json"]);
    assert_eq!(run.code(), 1, "{run:?}");
    let findings = run.findings();
    let order: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        order,
        [
            ("src/config.ts", "JWT104"),
            ("tests/fixtures/d.json", "JWT104"),
            ("src/keys.ts", "JWT104"),
            ("src/old.ts", "JWT003"),
        ],
        "each distinct token once, oldest first; the token only ever in a test file is \
         test data with nothing to report"
    );

    let first = run.finding(&a, "JWT104");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["message"], revoke_message(a_exp));
    assert_eq!(
        first["range"]["start"],
        json!({"byte": 22, "line": 1, "column": 23})
    );
    assert_eq!(first["fixture"], Value::Null);
    assert_eq!(
        provenance(&first),
        json!({
            "path": "src/config.ts", "commit": c1, "commit_date": rfc3339(t1),
            "last_commit": c4, "last_commit_date": rfc3339(t4),
            "paths": 3, "in_worktree": true,
        }),
        "introduced in src/config.ts, moved to src/settings.ts, deleted, added again in lib/auth.ts"
    );

    let copied = run.finding(&d, "JWT104");
    assert_eq!(copied["severity"], "error");
    assert_eq!(
        copied["fixture"],
        Value::Null,
        "judged where it is not test data"
    );
    assert_eq!(
        provenance(&copied),
        json!({
            "path": "tests/fixtures/d.json", "commit": c1, "commit_date": rfc3339(t1),
            "last_commit": c4, "last_commit_date": rfc3339(t4),
            "paths": 2, "in_worktree": true,
        })
    );

    let deleted = run.finding(&c, "JWT104");
    assert_eq!(deleted["message"], revoke_message(c_exp));
    assert_eq!(
        provenance(&deleted),
        json!({
            "path": "src/keys.ts", "commit": c2, "commit_date": rfc3339(t2),
            "last_commit": c2, "last_commit_date": rfc3339(t2),
            "paths": 1, "in_worktree": false,
        })
    );

    let expired = run.finding(&b, "JWT003");
    assert_eq!(
        expired["severity"], "info",
        "an expired token in the history is information: an error in the tree"
    );
    assert_eq!(
        expired["range"]["start"],
        json!({"byte": 16, "line": 2, "column": 10})
    );
    assert_eq!(
        provenance(&expired),
        json!({
            "path": "src/old.ts", "commit": c2, "commit_date": rfc3339(t2),
            "last_commit": c2, "last_commit_date": rfc3339(t2),
            "paths": 1, "in_worktree": false,
        })
    );

    let summary = &run.json()["summary"];
    assert_eq!(
        summary["history"],
        json!({
            "commits": 4, "blobs": 8, "shallow": null,
            "skipped": {"missing": 0, "submodules": 0, "lfs": 0},
        }),
        "blobs: a, d, e, b, c, the README and the two new files, each once"
    );
    assert_eq!(summary["files_scanned"], 8);
    assert_eq!(summary["findings"]["error"], 3);
    assert_eq!(summary["findings"]["info"], 1);
    assert_eq!(run.json()["errors"], json!([]));
    assert_eq!(run.stderr(), "");
    for token in [&a, &b, &c, &d, &e] {
        assert!(
            !run.stdout().contains(token.as_str()),
            "a token was printed"
        );
    }

    // The tree as it is now: a and d only, as live credentials.
    let tree = repo.check(&["--format", "json"]);
    let mut fingerprints: Vec<String> = tree
        .findings()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
        .collect();
    fingerprints.sort();
    let mut expected = vec![sha256(&a), sha256(&d)];
    expected.sort();
    assert_eq!(fingerprints, expected);

    let human = repo.check(&["--history"]);
    let out = human.stdout();
    assert!(
        out.contains(&format!(
            "src/keys.ts:1:1: error JWT104 live-credential: {}\n",
            revoke_message(c_exp)
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  introduced in {} ({}) · last in {} ({}) · 3 paths · still in the working tree\n",
            &c1[..12],
            &rfc3339(t1)[..10],
            &c4[..12],
            &rfc3339(t4)[..10]
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  introduced in {} ({}) · no longer in the working tree\n",
            &c2[..12],
            &rfc3339(t2)[..10]
        )),
        "{out}"
    );
    let summary = out.lines().last().unwrap();
    assert!(
        summary.starts_with(
            "4 findings (3 errors, 1 info) in 4 files · 8 blobs scanned in 4 commits ("
        ),
        "{summary}"
    );
}

#[test]
fn branches_tags_a_merge_and_revision_ranges() {
    let repo = Repo::new();
    let (t, _) = live_token("t");
    let (u, _) = live_token("u");
    let (w, _) = live_token("w");
    repo.write("README.txt", "base\n");
    let (c1, _) = repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("src/f.ts", format!("t = '{t}'\n"));
    let (c2, t2) = repo.commit("feature");
    repo.git(&["tag", "-a", "v1", "-m", "v1"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.write("docs.txt", "docs\n");
    repo.commit("docs");
    repo.clock.set(repo.clock.get() + 86_400);
    repo.git(&["merge", "-q", "--no-ff", "feature", "-m", "merge"]);
    let (c4, t4) = (repo.git(&["rev-parse", "HEAD"]), repo.clock.get());
    // An unmerged branch, and a commit only a tag reaches.
    repo.git(&["checkout", "-q", "-b", "spike", &c1]);
    repo.write("src/u.ts", format!("u = '{u}'\n"));
    let (c5, t5) = repo.commit("spike");
    repo.git(&["checkout", "-q", "--orphan", "lone"]);
    repo.git(&["rm", "-rq", "--cached", "."]);
    for path in ["README.txt", "src/u.ts"] {
        repo.remove(path);
    }
    repo.write("w.ts", format!("w = '{w}'\n"));
    let (c6, t6) = repo.commit("lone");
    repo.git(&["tag", "lone-tag"]);
    repo.git(&["checkout", "-q", "-f", "main"]);
    repo.git(&["branch", "-q", "-D", "lone"]);

    let introduced = |run: &Run, token: &str| {
        let finding = run.finding(token, "JWT104");
        (
            finding["commit"].as_str().unwrap().to_owned(),
            finding["last_commit"].as_str().unwrap().to_owned(),
            finding["in_worktree"].clone(),
        )
    };
    let all = repo.check(&["--history", "--format", "json"]);
    assert_eq!(all.code(), 1, "{all:?}");
    assert_eq!(all.findings().len(), 3, "{all:?}");
    assert_eq!(
        introduced(&all, &t),
        (c2.clone(), c4.clone(), json!(true)),
        "introduced on the branch, still there after the merge"
    );
    assert_eq!(introduced(&all, &u), (c5.clone(), c5.clone(), json!(false)));
    assert_eq!(introduced(&all, &w), (c6.clone(), c6.clone(), json!(false)));
    let dates = |run: &Run, token: &str| {
        let finding = run.finding(token, "JWT104");
        (
            finding["commit_date"].clone(),
            finding["last_commit_date"].clone(),
        )
    };
    assert_eq!(dates(&all, &t), (json!(rfc3339(t2)), json!(rfc3339(t4))));
    assert_eq!(dates(&all, &w), (json!(rfc3339(t6)), json!(rfc3339(t6))));
    assert_eq!(dates(&all, &u), (json!(rfc3339(t5)), json!(rfc3339(t5))));
    assert_eq!(all.json()["summary"]["history"]["commits"], 6);

    let main = repo.check(&["--history", "main", "--format", "json"]);
    assert_eq!(main.findings().len(), 1, "{main:?}");
    assert_eq!(introduced(&main, &t), (c2.clone(), c4.clone(), json!(true)));
    assert_eq!(main.json()["summary"]["history"]["commits"], 4);

    let feature = repo.check(&["--history", "v1", "--format", "json"]);
    assert_eq!(
        introduced(&feature, &t),
        (c2.clone(), c2.clone(), json!(true))
    );

    // What main added since v1: the merge is the first commit of the range holding t.
    let range = repo.check(&["--history", "v1..main", "--format", "json"]);
    assert_eq!(
        range.json()["summary"]["history"]["commits"],
        2,
        "{range:?}"
    );
    assert_eq!(
        introduced(&range, &t),
        (c4.clone(), c4.clone(), json!(true))
    );
    let excluded = repo.check(&["--history", "main", "^v1", "--format", "json"]);
    assert_eq!(excluded.findings(), range.findings());

    let several = repo.check(&["--history", "spike", "lone-tag", "--format", "json"]);
    assert_eq!(several.findings().len(), 2, "{several:?}");

    let bad = repo.check(&["--history", "nope"]);
    assert_eq!(bad.code(), 2, "{bad:?}");
    assert!(
        bad.stderr().starts_with("jwtlens: nope: not a revision: "),
        "{bad:?}"
    );
    assert_eq!(bad.stdout(), "");
    let tree = repo.check(&["--history", &format!("{c1}^{{tree}}")]);
    assert_eq!(tree.code(), 2, "{tree:?}");
    assert!(tree.stderr().contains("not a commit"), "{tree:?}");
}

#[test]
fn a_shallow_clone_says_how_deep_it_looked() {
    let source = Repo::new();
    let (s, _) = live_token("s");
    source.write("app.ts", format!("s = '{s}'\n"));
    source.commit("c1");
    let mut ids = Vec::new();
    for i in 2..=5 {
        source.write("notes.txt", format!("{i}\n"));
        ids.push(source.commit(&format!("c{i}")));
    }
    let clone_path = source.path.parent().unwrap().join("clone");
    let url = format!("file://{}", source.path.display());
    source.git(&[
        "clone",
        "-q",
        "--depth",
        "2",
        &url,
        clone_path.to_str().unwrap(),
    ]);
    let clone = Repo::at(clone_path);

    let run = clone.check(&["--history", "--format", "json"]);
    assert_eq!(run.code(), 1, "{run:?}");
    assert_eq!(
        run.json()["summary"]["history"]["shallow"],
        json!({"depth": 2, "boundary_commits": 1})
    );
    assert_eq!(run.json()["summary"]["history"]["commits"], 2);
    let finding = run.finding(&s, "JWT104");
    let (c4, t4) = &ids[2];
    let (c5, _) = &ids[3];
    assert_eq!(
        (
            &finding["commit"],
            &finding["commit_date"],
            &finding["last_commit"]
        ),
        (&json!(c4), &json!(rfc3339(*t4)), &json!(c5)),
        "the oldest commit the clone has holds it"
    );
    assert_eq!(
        run.stderr(),
        "jwtlens: warning: shallow clone: the history was scanned 2 commits deep; older commits are not in the clone\n"
    );
    let human = clone.check(&["--history"]);
    assert!(
        human
            .stdout()
            .contains(" blobs scanned in 2 commits (shallow clone: 2 commits deep) ("),
        "{human:?}"
    );
}

#[test]
fn corrupt_and_missing_objects_and_directories_that_are_not_repositories() {
    let repo = Repo::new();
    let (a, _) = live_token("a");
    let (b, _) = live_token("b");
    let (c, _) = live_token("c");
    repo.write("a.ts", format!("a = '{a}'\n"));
    repo.write("b.ts", format!("b = '{b}'\n"));
    repo.write("c.ts", format!("c = '{c}'\n"));
    repo.commit("three files");
    let object = |path: &str| {
        let id = repo.git(&["rev-parse", &format!("HEAD:{path}")]);
        let file = repo.path.join(".git/objects").join(&id[..2]).join(&id[2..]);
        (id, file)
    };
    // Loose objects are read-only: make them writable, then break one and drop another.
    let (corrupt, corrupt_file) = object("b.ts");
    std::fs::set_permissions(
        &corrupt_file,
        std::os::unix::fs::PermissionsExt::from_mode(0o644),
    )
    .unwrap();
    std::fs::write(&corrupt_file, b"this is not zlib data").unwrap();
    let (_, missing_file) = object("c.ts");
    std::fs::remove_file(&missing_file).unwrap();

    let run = repo.check(&["--history", "--format", "json"]);
    assert_eq!(run.code(), 2, "an incomplete scan: {run:?}");
    assert_eq!(run.findings().len(), 1, "a.ts is still checked: {run:?}");
    run.finding(&a, "JWT104");
    let stderr = run.stderr();
    assert!(
        stderr.contains(&format!("jwtlens: blob {corrupt}: ")),
        "the corrupt object is named: {stderr}"
    );
    assert!(
        stderr.contains(
            "jwtlens: warning: 1 git object is missing from the repository (a partial clone?): not scanned\n"
        ),
        "{stderr}"
    );
    let summary = &run.json()["summary"];
    assert_eq!(summary["errors"], 1);
    assert_eq!(summary["history"]["skipped"]["missing"], 1);

    let plain = tempfile::tempdir().unwrap();
    for flag in ["--history", "--staged"] {
        let outside = check_in(plain.path(), &[flag]);
        assert_eq!(outside.code(), 2, "{outside:?}");
        assert!(
            outside
                .stderr()
                .starts_with("jwtlens: not a usable git repository: "),
            "{outside:?}"
        );
        assert_eq!(outside.stdout(), "");
    }
    // A `.git` that is not a repository.
    std::fs::create_dir(plain.path().join(".git")).unwrap();
    std::fs::write(plain.path().join(".git/HEAD"), "garbage\n").unwrap();
    let broken = check_in(plain.path(), &["--history"]);
    assert_eq!(broken.code(), 2, "{broken:?}");
    assert!(broken.stderr().starts_with("jwtlens: "), "{broken:?}");
}

#[test]
fn skipped_blobs_are_counted_and_non_utf8_paths_work() {
    use std::os::unix::ffi::OsStrExt;

    let repo = Repo::new();
    let (live, _) = live_token("x");
    let (vendored, _) = live_token("v");
    repo.write(".jwtlens.toml", "ignore_paths = [\"vendor/**\"]\n");
    repo.write("vendor/lib.js", format!("v = '{vendored}'\n"));
    repo.write("big.txt", format!("{live}\n{}", "#".repeat(4096)));
    repo.write("bin.dat", format!("\0\x01{live}"));
    repo.write(
        "assets/logo.ts",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n",
    );
    let odd = Path::new(std::ffi::OsStr::from_bytes(b"src/caf\xe9.ts"));
    repo.write(odd, format!("x = '{live}'\n"));
    std::os::unix::fs::symlink("big.txt", repo.path.join("link.txt")).unwrap();
    repo.git(&["add", "-A"]);
    repo.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        "160000,1234567890123456789012345678901234567890,vendor/submodule",
    ]);
    repo.commit_index("odd things");

    let run = repo.check(&["--history", "--max-filesize", "1K", "--format", "json"]);
    assert_eq!(run.code(), 1, "{run:?}");
    let findings = run.findings();
    assert_eq!(findings.len(), 1, "{run:?}");
    assert_eq!(findings[0]["path"], "src/caf\u{FFFD}.ts");
    assert_eq!(findings[0]["fingerprint"], sha256(&live));
    let summary = &run.json()["summary"];
    assert_eq!(
        summary["skipped"],
        json!({"binary": 1, "too_large": 1}),
        "{run:?}"
    );
    assert_eq!(
        summary["history"]["skipped"],
        json!({"missing": 0, "submodules": 1, "lfs": 1})
    );
    // .jwtlens.toml, vendor/lib.js, src/caf?.ts; the link's blob is a path, not text.
    assert_eq!(summary["files_scanned"], 3);

    let human = repo.check(&["--history", "--max-filesize", "1K"]);
    assert!(
        human
            .stdout()
            .contains(" · skipped 1 binary, 1 over --max-filesize, 1 LFS pointer and 1 submodule"),
        "{human:?}"
    );
    let sarif = repo.check(&["--history", "--max-filesize", "1K", "--format", "sarif"]);
    let location = &sarif.json()["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"],
        json!({"uri": "src/caf%E9.ts", "uriBaseId": "%SRCROOT%"})
    );
}

#[test]
fn staged_checks_the_index_not_the_working_tree() {
    let repo = Repo::new();
    let (a, _) = live_token("a");
    let (b, _) = live_token("b");
    let (c, _) = live_token("c");
    repo.write("src/a.ts", "export {};\n");
    repo.write("src/b.ts", format!("b = '{b}'\n"));
    repo.commit("base");

    let clean = repo.check(&["--staged"]);
    assert_eq!(clean.code(), 0, "{clean:?}");
    assert!(
        clean
            .stdout()
            .starts_with("no findings · 0 staged files scanned ("),
        "{clean:?}"
    );

    // a.ts staged with a token, then edited back in the working tree only; c.ts untracked.
    repo.write("src/a.ts", format!("a = '{a}'\n"));
    repo.git(&["add", "src/a.ts"]);
    repo.write("src/a.ts", "export {};\n");
    repo.write("src/c.ts", format!("c = '{c}'\n"));

    let staged = repo.check(&["--staged", "--format", "json"]);
    assert_eq!(staged.code(), 1, "{staged:?}");
    let findings = staged.findings();
    assert_eq!(findings.len(), 1, "{staged:?}");
    let finding = &findings[0];
    assert_eq!(finding["path"], "src/a.ts");
    assert_eq!(finding["fingerprint"], sha256(&a));
    assert_eq!(finding["severity"], "error");
    assert_eq!(
        finding["range"]["start"],
        json!({"byte": 5, "line": 1, "column": 6})
    );
    assert!(finding.get("commit").is_none(), "not committed yet");
    assert_eq!(
        staged.json()["summary"]["staged"],
        json!({"entries": 1, "skipped": {"missing": 0, "submodules": 0, "lfs": 0}})
    );

    // The working tree has b and c, not a.
    let tree = repo.check(&["--format", "json", "src"]);
    let mut paths: Vec<String> = tree
        .findings()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect();
    paths.sort();
    assert_eq!(paths, ["src/b.ts", "src/c.ts"]);

    // Named paths are checked as staged, changed or not (what pre-commit passes).
    let named = repo.check(&["--staged", "--format", "json", "src/b.ts"]);
    assert_eq!(named.findings().len(), 1, "{named:?}");
    named.finding(&b, "JWT104");
    let directory = repo.check(&["--staged", "--format", "json", "src"]);
    assert_eq!(directory.findings().len(), 2, "{directory:?}");
    let untracked = repo.check(&["--staged", "src/c.ts"]);
    assert_eq!(untracked.code(), 2, "{untracked:?}");
    assert!(
        untracked
            .stderr()
            .contains("jwtlens: src/c.ts: not in the index\n"),
        "{untracked:?}"
    );
}

/// The hook git runs before a commit, as pre-commit runs the hook `.pre-commit-hooks.yaml`
/// publishes: its `entry` with the staged files' names. `git commit -a` stages into a
/// temporary index that only `GIT_INDEX_FILE` names; a plain `git commit` commits the
/// index, whatever the working tree holds.
#[test]
fn the_published_pre_commit_hook_checks_what_git_is_about_to_commit() {
    let entry = include_str!("../.pre-commit-hooks.yaml")
        .lines()
        .find_map(|line| line.strip_prefix("  entry: "))
        .expect("the hook has an entry");
    let arguments = entry
        .strip_prefix("jwtlens ")
        .expect("the entry runs jwtlens");
    assert_eq!(arguments, "check --staged");
    let repo = Repo::new();
    let (a, _) = live_token("a");
    let (b, _) = live_token("b");
    repo.write("src/a.ts", "export {};\n");
    repo.write("src/b.ts", "export {};\n");
    repo.commit("base");
    let hook = repo.path.join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nexec '{}' {arguments} $(git diff --cached --name-only --diff-filter=ACMR)\n",
            env!("CARGO_BIN_EXE_jwtlens")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let commit = |args: &[&str]| {
        let output = repo.git_command(args).output().unwrap();
        // git sends a hook's standard output to its standard error.
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };

    repo.write("src/a.ts", format!("a = '{a}'\n"));
    let (committed, out) = commit(&["commit", "-q", "-a", "-m", "with a token"]);
    assert!(!committed, "the hook refuses the commit: {out}");
    assert!(
        out.contains("src/a.ts:1:6: error JWT104 live-credential: "),
        "{out}"
    );
    assert!(!out.contains(&a), "the token is not printed");

    repo.write("src/a.ts", "export const fine = 1;\n");
    let (committed, out) = commit(&["commit", "-q", "-a", "-m", "clean"]);
    assert!(committed, "{out}");

    // Staged with a token, then cleaned in the working tree only: the commit would
    // still carry the token.
    repo.write("src/b.ts", format!("b = '{b}'\n"));
    repo.git(&["add", "src/b.ts"]);
    repo.write("src/b.ts", "export {};\n");
    let (committed, out) = commit(&["commit", "-q", "-m", "staged token"]);
    assert!(
        !committed,
        "the index is checked, not the working tree: {out}"
    );
    assert!(
        out.contains("src/b.ts:1:6: error JWT104 live-credential: "),
        "{out}"
    );
}

#[test]
fn sarif_names_the_commit_and_validates_against_the_schema() {
    let validator = crate::check::sarif_validator();

    let repo = Repo::new();
    repo.git(&[
        "remote",
        "add",
        "origin",
        "https://ci-bot:s3cret@github.com/acme/app.git",
    ]);
    let (a, _) = live_token("a");
    repo.write("src/a.ts", format!("a = '{a}'\n"));
    let (c1, t1) = repo.commit("token");
    repo.remove("src/a.ts");
    let (c2, _) = repo.commit("gone");

    let run = repo.check(&["--history", "--format", "sarif"]);
    assert_eq!(run.code(), 1, "{run:?}");
    let log = run.json();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{log:#}");
    assert!(!run.stdout().contains("s3cret") && !run.stdout().contains(&a));

    let run0 = &log["runs"][0];
    assert_eq!(
        run0["versionControlProvenance"],
        json!([
            {"repositoryUri": "https://github.com/acme/app.git", "revisionId": c2,
             "branch": "main", "mappedTo": {"uriBaseId": "%SRCROOT%"}},
            {"repositoryUri": "https://github.com/acme/app.git", "revisionId": c1,
             "asOfTimeUtc": rfc3339(t1)},
        ])
    );
    let result = &run0["results"][0];
    assert_eq!(
        result["partialFingerprints"],
        json!({"jwtlensToken/v1": sha256(&a), "jwtlensCommit/v1": c1})
    );
    assert_eq!(result["properties"]["commit"], c1);
    assert_eq!(result["properties"]["in_worktree"], false);
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"],
        json!({"uri": "src/a.ts", "uriBaseId": "%SRCROOT%"})
    );
}

#[test]
fn baselines_accept_history_findings_by_token() {
    let repo = Repo::new();
    let (old, _) = live_token("old");
    repo.write("src/a.ts", format!("a = '{old}'\n"));
    let (c1, _) = repo.commit("old");
    repo.remove("src/a.ts");
    repo.commit("removed");

    let write = repo.check(&["--history", "--write-baseline", "baseline.json"]);
    assert_eq!(write.code(), 0, "{write:?}");
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.path.join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(
        recorded["findings"],
        json!([{"path": "src/a.ts", "line": 1, "rule": "JWT104",
                "fingerprint": sha256(&old), "commit": c1}])
    );
    let again = repo.check(&["--history", "--baseline", "baseline.json"]);
    assert_eq!(again.code(), 0, "{again:?}");
    assert!(again.stdout().starts_with("no findings · "), "{again:?}");
    assert!(again.stdout().contains(" · 1 in the baseline"), "{again:?}");

    let (new, _) = live_token("new");
    repo.write("src/b.ts", format!("b = '{new}'\n"));
    repo.commit("new");
    let later = repo.check(&[
        "--history",
        "--baseline",
        "baseline.json",
        "--format",
        "json",
    ]);
    assert_eq!(later.code(), 1, "{later:?}");
    assert_eq!(later.findings().len(), 1);
    later.finding(&new, "JWT104");
    assert_eq!(later.json()["summary"]["baselined"], 1);
}

/// After "Mint replacement test token" replaces a live credential, the editor says that
/// the old token stays in the history and must be revoked; not after replacing a token
/// that is no credential.
#[tokio::test]
async fn replacing_a_live_credential_in_the_editor_says_to_revoke_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = tower_lsp::lsp_types::Url::from_file_path(dir.path())
        .unwrap()
        .to_string();
    let mut client = in_process();
    client
        .initialize_with(
            &root,
            Value::Null,
            &[],
            json!({"workspaceEdit": {"documentChanges": true}}),
        )
        .await;
    let (live, exp) = live_token("a");
    let expired = expired_token("b");
    let uri = format!("{root}/session.ts");
    client
        .open(
            &uri,
            &format!("const t = \"{live}\";\nconst u = \"{expired}\";\n"),
            1,
        )
        .await;
    // The expired token first: no warning; then the live one. A warning after the first
    // would be the first one waited for below.
    for line in [1, 0] {
        let range = json!({"start": {"line": line, "character": 12}, "end": {"line": line, "character": 12}});
        let actions = client.code_actions(&uri, range).await;
        let replacement = actions["result"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| {
                a["title"]
                    .as_str()
                    .unwrap()
                    .starts_with("Mint replacement test token (")
            })
            .unwrap()["command"]
            .clone();
        let params =
            json!({"command": replacement["command"], "arguments": replacement["arguments"]});
        let result = client.request("workspace/executeCommand", params).await;
        assert!(result["result"]["token"].is_string(), "{result}");
    }
    let told = client
        .wait_for(|m| m["method"] == "window/showMessage")
        .await;
    assert_eq!(
        told["params"],
        json!({
            "type": 2,
            "message": format!(
                "jwtlens: replaced a live credential (valid until {}). If it was ever committed, it stays in the git history: revoke it at https://auth.acme.io (`jwtlens check --history` lists every such token).",
                utc(exp)
            ),
        }),
        "one warning, for the live token only"
    );
}
