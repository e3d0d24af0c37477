#!/usr/bin/env bash
# Runs the Emacs (eglot) configuration of docs/editors.md, as written there, in
# `emacs --batch` against a scratch copy of examples/, and checks jwtlens's diagnostics and
# hover arrive through eglot and flymake.
#
#   editors/emacs/run-e2e.sh [JWTLENS_BINARY]
#
# Needs emacs with eglot (Emacs 29+, or Debian 12's emacs-nox with elpa-eglot).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-${CARGO_TARGET_DIR:-$repo/target}/release/jwtlens}
fail() { echo "emacs e2e: FAILED: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "no jwtlens binary at $bin (build it: cargo build --release)"
command -v emacs >/dev/null || fail "no emacs (apt-get install emacs-nox elpa-eglot)"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/jwtlens-emacs-e2e.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# The snippet: the elisp block after the "tested by editors/emacs/run-e2e.sh" marker.
awk '/<!-- tested by editors\/emacs\/run-e2e.sh -->/ { found = 1; next }
     found && /^```elisp/ { inside = 1; next }
     inside && /^```/ { exit }
     inside { print }' "$repo/docs/editors.md" >"$scratch/snippet.el"
[ -s "$scratch/snippet.el" ] || fail "no Emacs snippet found in docs/editors.md"

cp -R "$repo/examples" "$scratch/ws"
git -C "$scratch/ws" init -q   # a project root for project.el, as in a real checkout
cd "$scratch/ws"
# The snippet starts `jwtlens` from PATH.
PATH=$(dirname "$bin"):$PATH HOME=$scratch timeout --kill-after=5 120 \
  emacs --batch -l "$scratch/snippet.el" -l "$here/eglot-check.el" \
  .env:JWT101,JWT103,JWT104,JWT106,-JWT013 fixtures/tokens.json:JWT007,JWT010,JWT103,-JWT013 \
  || fail "emacs exited with status $? (see above)"
