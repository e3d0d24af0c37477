#!/usr/bin/env bash
# Runs the Helix configuration of docs/editors.md, as written there, in a real `hx` inside
# tmux against a scratch copy of examples/, and checks that jwtlens's diagnostics reach
# Helix's diagnostics picker, that a hover on the first token shows, and that Helix quits
# cleanly (shutdown, exit).
#
#   [HX=/path/to/hx [HELIX_RUNTIME=/path/to/runtime]] editors/helix/run-e2e.sh [JWTLENS_BINARY]
#
# The binary defaults to target/release/jwtlens (CARGO_TARGET_DIR honoured). Without HX,
# Debian 13's (trixie) `hx` package is used: Debian 12 has no Helix, so the package is
# downloaded with trixie's libc and libgcc into $JWTLENS_E2E_CACHE (default
# ~/.cache/jwtlens-e2e), unpacked there without root, and run through trixie's own dynamic
# loader so that the system's libraries stay untouched. JWTLENS_RECORD=OUT.json records a
# replay for tests/replays.rs (see below).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-${CARGO_TARGET_DIR:-$repo/target}/release/jwtlens}
cache=${JWTLENS_E2E_CACHE:-$HOME/.cache/jwtlens-e2e}
fail() { echo "helix e2e: FAILED: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "no jwtlens binary at $bin (build it: cargo build --release)"
command -v tmux >/dev/null || fail "no tmux"

# Downloads trixie's hx, libc6 and libgcc-s1 with apt-get's own client and a private
# sources list, lists and cache (no root, the system's apt state untouched), unpacks them
# into $1 and writes $1/hx, a launcher that runs Helix through trixie's loader.
install_debian_helix() {
  local dest=$1 apt_dir="$1.apt" deb
  rm -rf "$dest" "$apt_dir"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs" "$dest/root"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main" \
    >"$apt_dir/sources.list"
  local apt_options=(
    -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
    -o Dir::State::status=/dev/null -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)"
    -o Acquire::Languages=none -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
  )
  apt-get "${apt_options[@]}" -qq update || fail "apt-get update (Debian trixie)"
  (cd "$apt_dir/debs" && apt-get "${apt_options[@]}" -qq download hx libc6 libgcc-s1) \
    || fail "apt-get download hx libc6 libgcc-s1 (Debian trixie)"
  for deb in "$apt_dir"/debs/*.deb; do
    dpkg-deb -x "$deb" "$dest/root"
  done
  rm -rf "$apt_dir"
  # The package puts the binary in /usr/lib/hx/hx (/usr/bin/hx links to it) and the
  # runtime beside it. Run through the loader, Helix cannot find the runtime from its own
  # path, hence HELIX_RUNTIME.
  cat >"$dest/hx" <<'LAUNCHER'
#!/bin/sh
root=$(dirname "$0")/root
lib=$root/usr/lib/x86_64-linux-gnu
HELIX_RUNTIME=${HELIX_RUNTIME:-$root/usr/lib/hx/runtime} exec "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$root/usr/lib/hx/hx" "$@"
LAUNCHER
  chmod +x "$dest/hx"
}

if [ -z "${HX:-}" ]; then
  [ "$(uname -m)" = x86_64 ] || fail "no HX given, and Debian's hx is only fetched for x86_64"
  HX=$cache/helix-debian-trixie/hx
  if [ ! -x "$HX" ]; then
    echo "helix e2e: installing Debian trixie's hx into $cache/helix-debian-trixie"
    install_debian_helix "$cache/helix-debian-trixie"
  fi
fi
hx=$HX
command -v "$hx" >/dev/null || fail "no Helix ($hx); set HX"
echo "helix e2e: $("$hx" --version)"

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

# JWTLENS_RECORD=OUT.json records the first file's session (initialize to exit) as a
# replay for tests/replays.rs: `jwtlens` on Helix's PATH is then tests/replays/record.py
# in front of the binary.
server_dir=$(dirname "$bin")
if [ -n "${JWTLENS_RECORD:-}" ]; then
  record_out=$(realpath "$JWTLENS_RECORD")
  server_dir=$scratch/record-bin
  mkdir -p "$server_dir"
  printf '#!/bin/sh\nexec python3 %q %q %q %q examples -- %q "$@"\n' \
    "$repo/tests/replays/record.py" "$record_out" "$scratch/ws" "Helix $("$hx" --version | cut -d' ' -f2)" \
    "$(realpath "$bin")" >"$server_dir/jwtlens"
  chmod +x "$server_dir/jwtlens"
fi

send_keys() {
  tmux send-keys -t "$session" "$@"
  sleep 0.3
}

failed=0
passed=0
check_file() { # FILE CODE...
  local file=$1
  shift
  tmux new-session -d -s "$session" -x 200 -y 50 -c "$scratch/ws" \
    "env PATH=$server_dir:\$PATH XDG_CONFIG_HOME=$scratch/config HOME=$scratch $hx $file"
  wait_for_screen "$file"
  # The statusline counts diagnostics once the server has published them.
  wait_for_screen "● [0-9]+|▲ [0-9]+"
  tmux send-keys -t "$session" Space d   # the document diagnostics picker
  wait_for_screen "JWT[0-9]{3} "
  local screen missing=()
  screen=$(tmux capture-pane -p -t "$session")
  for code in "$@"; do
    grep -q "$code" <<<"$screen" || missing+=("$code")
  done
  echo "$file:"
  grep -m 20 -E "JWT[0-9]{3}" <<<"$screen" | sed 's/^/  /'
  # The hover (Space k) on the first token: its header names the serialization.
  # (An Escape followed at once by a key reads as Alt+key: hence the pauses.)
  send_keys Escape
  send_keys / e y J Enter
  send_keys Space k
  wait_for_screen "· JWS ·"
  echo "  hover: $(tmux capture-pane -p -t "$session" | grep -o -m 1 -E '[A-Z][A-Za-z0-9 ()]* · JWS · [A-Za-z0-9]+')"
  # Quit as a user does: Helix sends shutdown and exit, and must not wait on the server.
  send_keys Escape
  send_keys : q a ! Enter
  for _ in $(seq 1 40); do
    tmux has-session -t "$session" 2>/dev/null || break
    sleep 0.25
  done
  if tmux has-session -t "$session" 2>/dev/null; then
    missing+=("quit")
    tmux kill-session -t "$session"
  fi
  if [ "${#missing[@]}" -eq 0 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "  FAILED: no ${missing[*]}"
  fi
  # Only the first file's session is recorded.
  server_dir=$(dirname "$bin")
}
check_file .env JWT101 JWT103 JWT104 JWT106
check_file fixtures/tokens.json JWT010 JWT103
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
