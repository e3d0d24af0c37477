#!/usr/bin/env bash
# Runs the Helix configuration of docs/editors.md, as written there, in a real `hx` inside
# tmux against a scratch copy of examples/, and checks that jwtlens's diagnostics reach
# Helix's diagnostics picker.
#
#   HX=/path/to/hx [HELIX_RUNTIME=/path/to/runtime] editors/helix/run-e2e.sh [JWTLENS_BINARY]
#
# Not in CI: Helix is not packaged for Debian 12. It was run with Helix built from source
# (see docs/editors.md).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-${CARGO_TARGET_DIR:-$repo/target}/release/jwtlens}
hx=${HX:-hx}
fail() { echo "helix e2e: FAILED: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "no jwtlens binary at $bin (build it: cargo build --release)"
command -v "$hx" >/dev/null || fail "no Helix ($hx); set HX"
command -v tmux >/dev/null || fail "no tmux"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/jwtlens-helix-e2e.XXXXXX")
session=jwtlens-helix-$$
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

# The snippet: the toml block after the "tested by editors/helix/run-e2e.sh" marker.
mkdir -p "$scratch/config/helix"
awk '/<!-- tested by editors\/helix\/run-e2e.sh -->/ { found = 1; next }
     found && /^```toml/ { inside = 1; next }
     inside && /^```/ { exit }
     inside { print }' "$repo/docs/editors.md" >"$scratch/config/helix/languages.toml"
[ -s "$scratch/config/helix/languages.toml" ] || fail "no Helix snippet found in docs/editors.md"
cp -R "$repo/examples" "$scratch/ws"
git -C "$scratch/ws" init -q

# Waits until the pane shows $1 (a grep -E pattern); prints the pane on timeout.
wait_for_screen() {
  for _ in $(seq 1 80); do
    tmux capture-pane -p -t "$session" | grep -qE "$1" && return 0
    sleep 0.25
  done
  tmux capture-pane -p -t "$session" >&2
  fail "timed out waiting for: $1"
}

failed=0
passed=0
check_file() { # FILE CODE...
  local file=$1
  shift
  tmux new-session -d -s "$session" -x 200 -y 50 -c "$scratch/ws" \
    "env PATH=$(dirname "$bin"):\$PATH XDG_CONFIG_HOME=$scratch/config HOME=$scratch $hx $file"
  wait_for_screen "$file"
  # The statusline counts diagnostics once the server has published them.
  wait_for_screen "● [0-9]+|▲ [0-9]+"
  tmux send-keys -t "$session" Space d   # the document diagnostics picker
  wait_for_screen "jwtlens JWT[0-9]{3}"
  local screen missing=()
  screen=$(tmux capture-pane -p -t "$session")
  for code in "$@"; do
    grep -q "$code" <<<"$screen" || missing+=("$code")
  done
  echo "$file:"
  grep -m 20 -E "JWT[0-9]{3}" <<<"$screen" | sed 's/^/  /'
  if [ "${#missing[@]}" -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "  FAILED: no ${missing[*]} in the diagnostics picker"
  fi
  tmux kill-session -t "$session"
}
check_file .env JWT101 JWT103 JWT104 JWT106
check_file fixtures/tokens.json JWT010 JWT103
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
