#!/usr/bin/env python3
"""Measure jwtlens on checked-out public repositories, as in tests/corpus/BASELINE.md.

Usage:
    python3 tests/corpus/measure.py --jwtlens target/debug/jwtlens --src /work/corpus-src \
        [--judgements tests/corpus/baseline-judgements.toml] [--details] [REPO ...]

`--src` holds one checkout per repository (`<src>/<name>`, the names used in
baseline-judgements.toml). For each repository this runs
`jwtlens check --format json --hidden .` inside the checkout and prints one table row:

- files: files jwtlens scanned; tokens: distinct token ranges with at least one finding;
- error / warning / info / hint: findings by level;
- right / wrong / noise / new: the error-level findings matched against the recorded
  judgements (by path, 1-based start line and rule code); `new` ones have no judgement yet
  and are listed with --details so that someone can judge them;
- literals: JWT literals in the files (one-line literals whose header decodes, plus
  literals split over several lines); split: those split over lines; missed: split ones
  that no finding covers from their first to their last line.

With --corpus it instead checks the corpus in this directory against the binary and prints
how many expectations hold: providers and claims of tokens.toml, severities per rule,
split tokens reconstructed (a finding spanning the expected lines whose fingerprint is the
SHA-256 of the whole token), and precision cases that pass.

Standard library only; Python 3.11 or newer (tomllib).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import collections
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field

# A JWT: a JSON header (`eyJ`) and two or four more segments (padding `=` tolerated, as
# some libraries write it).
TOKEN_TEXT = re.compile(r"eyJ[A-Za-z0-9_=-]+(?:\.[A-Za-z0-9_=-]*){2,4}")

# Where a split token starts: a base64url/dot fragment beginning with `eyJ` after which
# the line ends, or the string literal closes, with at most a join operator or a
# backslash after it (and a comment).
JOIN_OPS = r"(?:\+|\\|\.\.|&|\|\|)"
START_TAIL = re.compile(r"""^(["'`]?)\s*(""" + JOIN_OPS + r""")?\s*(?:(?:#|//).*)?$""")
# A continuation line: optional leading join operator, optional string prefix (b, r, u8,
# @, $…), optional quote, one base64url/dot run, optional closing quote, optional join
# operator, and optionally the end of the expression (`,`, `;`, `)`, a method call such as
# `.replace(/\n/g, '')` after a template literal) or a comment.
PIECE = re.compile(
    r"""^\s*(?P<lead>""" + JOIN_OPS + r""")?\s*(?:(?:[A-Za-z]{1,2}|@|\$)?(?P<open>["'`]))?"""
    r"""(?P<text>(?:[A-Za-z0-9_.-]|=(?=[=.]|["'`\s\\+,;)]|$))+)(?P<close>["'`]?)\s*(?P<op>""" + JOIN_OPS + r""")?"""
    r"""\s*(?P<end>[,;)\]}].*|\.[A-Za-z_]+\(.*|(?:#|//).*)?$"""
)
SKIP_DIRS = {".git", "node_modules"}


def b64json(segment: str):
    """The JSON value a base64url segment encodes, or None."""
    try:
        segment = segment.rstrip("=")
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def is_jwt(text: str) -> bool:
    """A JWS (3 segments) or JWE (5, with `enc`) whose header is a JSON object naming an alg."""
    segments = text.split(".")
    if len(segments) not in (3, 5):
        return False
    header = b64json(segments[0])
    if not isinstance(header, dict) or "alg" not in header:
        return False
    return len(segments) == 3 or "enc" in header


@dataclass
class Split:
    path: str
    first: int  # 1-based line numbers
    last: int
    token: str
    syntax: str
    found: bool = False


@dataclass
class Repo:
    name: str
    commit: str = "?"
    files: int = 0
    tokens: int = 0
    levels: collections.Counter = field(default_factory=collections.Counter)
    verdicts: collections.Counter = field(default_factory=collections.Counter)
    new_errors: list = field(default_factory=list)
    wrong_errors: list = field(default_factory=list)
    literals: int = 0
    splits: list = field(default_factory=list)


def classify(path: str, joins: set[str]) -> str:
    """A short name for how a split token is written, for the table."""
    ext = os.path.splitext(path)[1].lstrip(".").lower() or os.path.basename(path)
    return f"{ext}:{'+'.join(sorted(joins))}"


def split_tokens(path: str, lines: list[str]) -> list[Split]:
    """JWT literals that the source splits over several lines."""
    found = []
    index = 0
    while index < len(lines):
        line = lines[index]
        start = None
        for match in re.finditer(r"eyJ[A-Za-z0-9_.=-]*", line):
            tail = START_TAIL.match(line[match.end() :])
            if tail:
                start = (match, tail)
        if start is None:
            index += 1
            continue
        match, tail = start
        pieces = [match.group(0)]
        joins = set()
        op = tail.group(2)
        if op:
            joins.add("backslash" if op == "\\" else "operator")
        # Whether the line break falls inside a literal (a template literal, a YAML block,
        # wrapped text, a backslash continuation) or between two quoted literals.
        inside = not tail.group(1)
        if inside and op != "\\":
            joins.add("multiline")
        last, cursor = index, index + 1
        while cursor < len(lines):
            piece = PIECE.match(lines[cursor])
            if not piece:
                break
            opened, closed, end = piece.group("open"), piece.group("close"), piece.group("end")
            if inside == bool(opened):
                break  # a quote where none can be, or code where a quote must be
            if end and not closed and not end.startswith(("#", "//")):
                break  # code such as `name, err := …` after an unquoted word
            text = piece.group("text")
            sofar = "".join(pieces)
            if len(sofar.split(".")) >= 3 and sofar.split(".")[-1] and text.startswith("eyJ"):
                break  # the next token in a list, not a continuation
            if opened and not op and not piece.group("lead"):
                joins.add("adjacent")
            pieces.append(text)
            last = cursor
            after_backslash = op == "\\"
            op = piece.group("op")
            if piece.group("lead") or op:
                joins.add("backslash" if op == "\\" else "operator")
            inside = not closed
            if end or (inside and after_backslash and op != "\\"):
                break  # the expression, or the backslash-continued word, ends here
            if inside and op != "\\":
                joins.add("multiline")
            cursor += 1
        if last == index:
            index += 1
            continue
        joined = "".join(pieces)
        token = TOKEN_TEXT.match(joined)
        # Lines the token itself covers (a trailing unrelated piece does not count).
        length, span = 0, index
        for offset, piece_text in enumerate(pieces):
            if token and length < token.end():
                span = index + offset
            length += len(piece_text)
        if token and span > index and is_jwt(token.group(0)):
            found.append(Split(path, index + 1, span + 1, token.group(0), classify(path, joins)))
            index = span + 1
        else:
            index += 1
    return found


def scan_literals(root: str) -> tuple[int, list[Split]]:
    """Count one-line JWT literals and find split ones under root."""
    one_line = 0
    splits = []
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            full = os.path.join(directory, name)
            try:
                with open(full, encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            except OSError:
                continue
            if "eyJ" not in text:
                continue
            lines = text.split("\n")
            relative = os.path.relpath(full, root)
            file_splits = split_tokens(relative, lines)
            split_lines = {n for s in file_splits for n in range(s.first, s.last + 1)}
            for number, line in enumerate(lines, 1):
                if number in split_lines:
                    continue
                one_line += sum(1 for m in TOKEN_TEXT.finditer(line) if is_jwt(m.group(0)))
            splits.extend(file_splits)
    return one_line + len(splits), splits


def load_judgements(path: str | None) -> tuple[dict, dict]:
    """From baseline-judgements.toml: (repo, path, line, code) -> (verdict, reason), and
    repo -> the commit that was judged."""
    if not path:
        return {}, {}
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    commits = {repo["name"]: repo["commit"] for repo in data.get("repo", [])}
    table = {}
    for entry in data.get("judgement", []):
        for line in entry["lines"]:
            key = (entry["repo"], entry["path"], line, entry["code"])
            table[key] = (entry["verdict"], entry["reason"])
    return table, commits


def measure(name: str, root: str, jwtlens: str, judgements: dict, commits: dict) -> Repo:
    repo = Repo(name, commit=commits.get(name, "?"))
    result = subprocess.run(
        [jwtlens, "check", "--format", "json", "--hidden", "--fail-on", "off", "."],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if result.returncode not in (0, 1):
        sys.exit(f"jwtlens failed on {name}: {result.stderr.strip()}")
    report = json.loads(result.stdout)
    repo.files = report["summary"]["files_scanned"]
    findings = report["findings"]
    repo.tokens = len({(f["path"], f["range"]["start"]["byte"]) for f in findings})
    repo.levels.update(f["severity"] for f in findings)
    for finding in findings:
        if finding["severity"] != "error":
            continue
        line = finding["range"]["start"]["line"]
        key = (name, finding["path"], line, finding["code"])
        verdict, reason = judgements.get(key, ("new", finding["message"]))
        repo.verdicts[verdict] += 1
        row = (finding["path"], line, finding["code"], reason)
        if verdict == "new":
            repo.new_errors.append(row)
        elif verdict == "wrong":
            repo.wrong_errors.append(row)
    repo.literals, repo.splits = scan_literals(root)
    spans = collections.defaultdict(list)
    for finding in findings:
        spans[finding["path"]].append(
            (finding["range"]["start"]["line"], finding["range"]["end"]["line"])
        )
    for split in repo.splits:
        split.found = any(
            start <= split.first and end >= split.last for start, end in spans[split.path]
        )
    return repo


def print_table(repos: list[Repo], details: bool) -> None:
    columns = [
        "repository", "commit", "files", "tokens", "error", "warning", "info", "hint",
        "right", "wrong", "noise", "new", "literals", "split", "missed",
    ]
    rows = []
    total = collections.Counter()
    for repo in repos:
        missed = sum(1 for s in repo.splits if not s.found)
        values = {
            "files": repo.files, "tokens": repo.tokens,
            "error": repo.levels["error"], "warning": repo.levels["warning"],
            "info": repo.levels["info"], "hint": repo.levels["hint"],
            "right": repo.verdicts["right"], "wrong": repo.verdicts["wrong"],
            "noise": repo.verdicts["noise"], "new": repo.verdicts["new"],
            "literals": repo.literals, "split": len(repo.splits), "missed": missed,
        }
        total.update(values)
        rows.append([repo.name, repo.commit[:12]] + [str(values[c]) for c in columns[2:]])
    rows.append(["total", ""] + [str(total[c]) for c in columns[2:]])
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    syntaxes = collections.Counter(s.syntax for r in repos for s in r.splits)
    print("\nSplit literals by file type and join:", dict(sorted(syntaxes.items())))
    if not details:
        return
    for repo in repos:
        for path, line, code, reason in repo.wrong_errors:
            print(f"wrong  {repo.name}/{path}:{line} {code} {reason}")
        for path, line, code, message in repo.new_errors:
            print(f"new    {repo.name}/{path}:{line} {code} {message}")
        for split in repo.splits:
            state = "found " if split.found else "missed"
            print(f"split  {state} {repo.name}/{split.path}:{split.first}-{split.last} {split.syntax}")


LEVELS = ["none", "hint", "info", "warning", "error"]


def run_check(jwtlens: str, text: str, context: str) -> list:
    """Findings for `text` checked as if it were the file at `context`."""
    result = subprocess.run(
        [jwtlens, "check", "--format", "json", "--fail-on", "off", "--stdin",
         "--stdin-filename", context],
        input=text, capture_output=True, text=True, cwd="/",
    )
    return json.loads(result.stdout)["findings"]


def levels_by_code(findings: list) -> dict:
    levels = {}
    for finding in findings:
        code, level = finding["code"], finding["severity"]
        if LEVELS.index(level) > LEVELS.index(levels.get(code, "none")):
            levels[code] = level
    return levels


def check_tokens(here: str, jwtlens: str, details: bool) -> None:
    with open(os.path.join(here, "tokens.toml"), "rb") as handle:
        tokens = tomllib.load(handle)["token"]
    now = time.time()
    tally = collections.Counter()
    for entry in tokens:
        token, expect = entry["token"], entry["expect"]
        decoded = subprocess.run(
            [jwtlens, "decode", "--json", "-"], input=token, capture_output=True, text=True, cwd="/"
        )
        facts = (json.loads(decoded.stdout or "{}").get("facts") or {})
        provider = (facts.get("provider") or {})
        want = None if expect["provider"] in ("generic", "jwe") else expect["provider"]
        ok = provider.get("id") == want
        tally["provider ok" if ok else "provider wrong"] += 1
        problems = [] if ok else [f"provider {provider.get('id')} (want {want})"]
        if ok and want:
            for key in ("tenants", "roles", "permissions"):
                if key in expect and sorted(map(str, expect[key])) != sorted(map(str, facts.get(key) or [])):
                    problems.append(f"{key} {facts.get(key)} (want {expect[key]})")
            if "memberships" in expect:
                def shape(items):
                    return sorted(
                        (str(m.get("tenant")), sorted(map(str, m.get("roles") or [])),
                         sorted(map(str, m.get("permissions") or [])))
                        for m in items
                    )
                if shape(expect["memberships"]) != shape(facts.get("memberships") or []):
                    problems.append(f"memberships {facts.get('memberships')}")
            if "session" in expect and facts.get("session") != expect["session"]:
                problems.append(f"session {facts.get('session')} (want {expect['session']})")
            if "variant" in expect and provider.get("variant") != expect["variant"]:
                problems.append(f"variant {provider.get('variant')} (want {expect['variant']})")
            tally["claims ok" if len(problems) == 0 else "claims wrong"] += 1
        got = levels_by_code(run_check(jwtlens, token + "\n", entry["context"]))
        segments = token.split(".")
        payload = b64json(segments[1]) if len(segments) == 3 else None
        exp = payload.get("exp") if isinstance(payload, dict) else None
        expired = isinstance(exp, (int, float)) and not isinstance(exp, bool) and exp < now
        for code, level in entry["severity"].items():
            if code == "JWT003" and not expired:
                continue  # the level applies once the token has expired
            if code == "JWT104" and expired:
                continue  # the level applies while the token is unexpired
            if got.get(code, "none") == level:
                tally["severity ok"] += 1
            else:
                tally["severity wrong"] += 1
                tally[f"severity wrong {code}"] += 1
                problems.append(f"{code} {got.get(code, 'none')} (want {level})")
        if details and problems:
            print(f"  token {entry['id']}: " + "; ".join(problems))
    real = sum(1 for entry in tokens if not entry["synthetic"])
    print(f"tokens.toml: {len(tokens)} tokens ({real} real); " + ", ".join(
        f"{key} {value}" for key, value in sorted(tally.items())))


def load_cases(here: str, name: str) -> tuple[str, list]:
    """The directory `name` and the cases of its manifest.toml."""
    directory = os.path.join(here, name)
    with open(os.path.join(directory, "manifest.toml"), "rb") as handle:
        return directory, tomllib.load(handle)["case"]


def check_split(here: str, jwtlens: str, details: bool) -> None:
    directory, cases = load_cases(here, "split")
    found = 0
    for case in cases:
        result = subprocess.run(
            [jwtlens, "check", "--format", "json", "--fail-on", "off", case["file"]],
            cwd=directory, capture_output=True, text=True,
        )
        fingerprint = hashlib.sha256(case["token"].encode()).hexdigest()
        spans = [
            f for f in json.loads(result.stdout)["findings"]
            if f["fingerprint"] == fingerprint
            and f["range"]["start"]["line"] == case["first_line"]
            and f["range"]["end"]["line"] == case["last_line"]
        ]
        found += bool(spans)
        if details and not spans:
            print(f"  split {case['file']}: not reconstructed")
    print(f"split/: {found} of {len(cases)} split tokens reconstructed with the expected range")


def check_precision(here: str, jwtlens: str, details: bool) -> None:
    directory, cases = load_cases(here, "precision")
    passed = 0
    for case in cases:
        with open(os.path.join(directory, case["file"]), encoding="utf-8") as handle:
            text = handle.read()
        got = levels_by_code(run_check(jwtlens, text, case["context"]))
        problems = [
            f"{code} {got.get(code, 'none')} (want {level})"
            for code, level in case["expect"].items() if got.get(code, "none") != level
        ]
        problems += [
            f"{code} {level} above {case['max_level']}"
            for code, level in got.items()
            if LEVELS.index(level) > LEVELS.index(case["max_level"])
        ]
        if case.get("new_findings"):
            problems.append("needs " + ", ".join(n["name"] for n in case["new_findings"]))
        passed += not problems
        if details and problems:
            print(f"  precision {case['file']}: " + "; ".join(problems))
    print(f"precision/: {passed} of {len(cases)} cases pass")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jwtlens", required=True, help="the jwtlens binary to measure")
    parser.add_argument("--src", help="directory holding one checkout per repository")
    parser.add_argument("--corpus", action="store_true", help="check tokens.toml, split/ and precision/ instead")
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument(
        "--judgements", default=os.path.join(here, "baseline-judgements.toml"),
        help="recorded verdicts for error-level findings",
    )
    parser.add_argument("--details", action="store_true", help="list wrong and new errors and every split literal")
    parser.add_argument("repos", nargs="*", help="repository names under --src (default: the judged ones)")
    args = parser.parse_args()
    jwtlens = os.path.abspath(args.jwtlens)
    if args.corpus:
        check_tokens(here, jwtlens, args.details)
        check_split(here, jwtlens, args.details)
        check_precision(here, jwtlens, args.details)
        return
    if not args.src:
        parser.error("--src is needed unless --corpus is given")
    judgements, commits = load_judgements(
        args.judgements if os.path.exists(args.judgements) else None
    )
    names = args.repos or list(commits) or sorted(os.listdir(args.src))
    repos = [measure(n, os.path.join(args.src, n), jwtlens, judgements, commits) for n in names]
    print_table(repos, args.details)


if __name__ == "__main__":
    main()
