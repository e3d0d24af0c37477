#!/usr/bin/env bash
# The VS Code extension's end-to-end test in a real VS Code workbench: code-server 4.100.3
# (VS Code 1.100.3) driven by Playwright in Debian's Chromium.
#
#   editors/vscode/e2e/run-e2e.sh [EXTENSION.vsix]
#
# Default .vsix: the newest editors/vscode/jwtlens-*.vsix (`npm run package` makes it).
# Needs `npm ci` in editors/vscode (playwright-core) and apt's chromium, ripgrep and the
# build tools for code-server's native modules; code-server is installed into
# $JWTLENS_E2E_CACHE (default ~/.cache/jwtlens-e2e) on first use.
# JWTLENS_E2E_SCREENSHOT=PATH also writes the hover screenshot there.
# JWTLENS_RECORD=OUT.json records a replay for tests/replays.rs (see below).
# screenshots.sh runs another driver (JWTLENS_E2E_DRIVER) on another folder
# (JWTLENS_E2E_WORKSPACE, copied like examples/ is) in the same workbench.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
extension_dir=$(cd "$here/.." && pwd)
repo=$(cd "$extension_dir/../.." && pwd)
cache=${JWTLENS_E2E_CACHE:-$HOME/.cache/jwtlens-e2e}
chromium=${CHROMIUM:-/usr/bin/chromium}

fail() { echo "vscode e2e: FAILED: $*" >&2; exit 1; }

vsix=${1:-$(ls -t "$extension_dir"/jwtlens-*.vsix 2>/dev/null | head -1 || true)}
[ -n "$vsix" ] && [ -f "$vsix" ] || fail "no .vsix (run npm run package in editors/vscode, or pass its path)"
vsix=$(realpath "$vsix")
[ -x "$chromium" ] || fail "no Chromium at $chromium (apt-get install chromium)"
[ -d "$extension_dir/node_modules/playwright-core" ] || fail "no playwright-core (run npm ci in editors/vscode)"
command -v rg >/dev/null || fail "no ripgrep (apt-get install ripgrep): code-server's search needs it"

"$here/install-code-server.sh" "$cache/code-server" >"$cache/code-server-install.log" 2>&1 \
  || { tail -30 "$cache/code-server-install.log" >&2; fail "code-server did not install (log: $cache/code-server-install.log)"; }
code_server=$cache/code-server/node_modules/.bin/code-server

scratch=$(mktemp -d "${TMPDIR:-/tmp}/jwtlens-vscode-e2e.XXXXXX")
server_pid=
http_pid=
cleanup() {
  [ -z "$http_pid" ] || kill "$http_pid" 2>/dev/null || true
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    # setsid made code-server lead a process group with its extension host and jwtlens.
    kill -TERM -- "-$server_pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$server_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch"
}
trap cleanup EXIT

# Everything code-server writes stays in the scratch folder.
export XDG_CONFIG_HOME=$scratch/xdg-config XDG_DATA_HOME=$scratch/xdg-data XDG_CACHE_HOME=$scratch/xdg-cache
mkdir -p "$scratch/tmp" "$scratch/user-data/User" "$scratch/extensions" "$scratch/out"
export TMPDIR=$scratch/tmp
cp -R "${JWTLENS_E2E_WORKSPACE:-$repo/examples}" "$scratch/ws"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The workspace on loopback, so the Clerk issuer's JWKS URL can point at the minted test
# keys: verification then fetches nothing from outside this machine.
http_port=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$scratch/ws" "$http_port" >"$scratch/http.log" 2>&1 &
http_pid=$!
jwks_url=http://127.0.0.1:$http_port/.jwtlens/test-keys.jwks.json
python3 - "$here/settings.json" "$scratch/user-data/User/settings.json" "$jwks_url" <<'PY'
import json, sys
settings = json.load(open(sys.argv[1]))
settings["jwtlens.keys.jwksUrls"] = {"https://adapted-mole-42.clerk.accounts.dev": sys.argv[3]}
json.dump(settings, open(sys.argv[2], "w"), indent=2)
PY
for _ in $(seq 1 40); do curl -fsS "http://127.0.0.1:$http_port/" >/dev/null 2>&1 && break; sleep 0.25; done
curl -fsS "http://127.0.0.1:$http_port/" >/dev/null || fail "the loopback HTTP server did not start"
port=$(free_port)
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$port" >"$scratch/config.yaml"
common=(--config "$scratch/config.yaml" --user-data-dir "$scratch/user-data" --extensions-dir "$scratch/extensions"
  --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override)

start=$(date +%s)
"$code_server" "${common[@]}" --install-extension "$vsix" >"$scratch/install.log" 2>&1 \
  || { cat "$scratch/install.log" >&2; fail "code-server --install-extension $vsix"; }
bundled=$(ls -d "$scratch"/extensions/jwtlens.jwtlens-*/bundled/jwtlens 2>/dev/null | head -1 || true)
[ -n "$bundled" ] || { cat "$scratch/install.log" >&2; fail "the installed extension has no bundled/jwtlens"; }
# JWTLENS_RECORD=OUT.json records the first server session (initialize to the exit the
# jwtlens.server.path check causes) as a replay for tests/replays.rs: the installed
# extension's bundled/jwtlens becomes tests/replays/record.py in front of the real binary.
if [ -n "${JWTLENS_RECORD:-}" ]; then
  mv "$bundled" "$bundled.real"
  cat >"$bundled" <<RECORDER
#!/bin/sh
if [ "\$1" = --stdio ] && mkdir "$scratch/recorded" 2>/dev/null; then
  exec python3 "$repo/tests/replays/record.py" "$(realpath -m "$JWTLENS_RECORD")" "$scratch/ws" \\
    "VS Code 1.100.3 (code-server 4.100.3)" examples -- "\$0.real" "\$@"
fi
exec "\$0.real" "\$@"
RECORDER
  chmod +x "$bundled"
fi

setsid "$code_server" "${common[@]}" --bind-addr "127.0.0.1:$port" "$scratch/ws" >"$scratch/code-server.log" 2>&1 </dev/null &
server_pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 1 120); do
  curl -fsS "$url/healthz" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$scratch/code-server.log" >&2; fail "code-server exited at start"; }
  sleep 0.5
done
curl -fsS "$url/healthz" >/dev/null 2>&1 || { cat "$scratch/code-server.log" >&2; fail "code-server did not answer on $url within 60 s"; }
echo "vscode e2e: code-server $("$code_server" --version 2>/dev/null | grep -m1 -E '^[0-9]' || true) on $url, extension $(basename "$vsix")"

status=0
CS_URL=$url WS=$scratch/ws OUT_DIR=$scratch/out BUNDLED=$bundled CHROMIUM=$chromium \
  USER_SETTINGS=$scratch/user-data/User/settings.json JWKS_URL=$jwks_url \
  timeout --kill-after=5 300 node "${JWTLENS_E2E_DRIVER:-$here/drive.mjs}" || status=$?
if [ -n "${JWTLENS_E2E_SCREENSHOT:-}" ] && [ -f "$scratch/out/hover.png" ]; then
  cp "$scratch/out/hover.png" "$JWTLENS_E2E_SCREENSHOT"
fi
if [ "$status" -ne 0 ]; then
  artifacts=${JWTLENS_E2E_ARTIFACTS:-$cache/last-failure}
  rm -rf "$artifacts" && mkdir -p "$artifacts"
  cp -R "$scratch/out/." "$scratch/code-server.log" "$artifacts/" 2>/dev/null || true
  find "$scratch/user-data/logs" -name '*.log' -exec cp {} "$artifacts/" \; 2>/dev/null || true
  [ "$status" -ne 124 ] || fail "the driver did not finish within 300 s (screenshots and logs: $artifacts)"
  fail "see the 'not ok' lines above (screenshots and logs: $artifacts)"
fi
echo "vscode e2e: passed in $(( $(date +%s) - start )) s"
