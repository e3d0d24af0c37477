#!/usr/bin/env bash
# Retakes the README's screenshots (docs/images/) in a real VS Code workbench, on a checkout
# of a real repository: the hover on a token, the Quick Fix menu, the Problems panel and the
# status bar item. Not a test and not run in CI.
#
#   npm run screenshots -- REPO_DIR FILE[:LINE] [MORE_FILE...]
#   e.g. npm run screenshots -- /tmp/pyjwt tests/test_jwks_client.py:214 tests/test_api_jwt.py
#
# Files are relative to REPO_DIR. The hover and the Quick Fix menu are on FILE's token at
# LINE (default: the first line with a JWT); the Problems panel lists the findings of FILE
# and of MORE_FILEs, which are opened too.
# It runs run-e2e.sh with screenshots.mjs as the driver on a copy of REPO_DIR, so it needs
# what run-e2e.sh needs (the packaged .vsix, npm ci, Chromium); JWTLENS_SCREENSHOTS_DIR
# writes the PNGs elsewhere. They are shrunk with pngquant and optipng when installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# npm runs scripts in editors/vscode; relative paths are the caller's.
cd "${INIT_CWD:-$PWD}"
[ $# -ge 2 ] || { sed -n '6,7p' "$here/screenshots.sh" >&2; exit 2; }
repo_dir=$(realpath "$1")
for file in "${@:2}"; do
  [ -f "$repo_dir/${file%%:*}" ] || { echo "screenshots: no file ${file%%:*} in $repo_dir" >&2; exit 2; }
done
out=$(realpath "${JWTLENS_SCREENSHOTS_DIR:-$here/../../../docs/images}")
mkdir -p "$out"
if commit=$(git -C "$repo_dir" rev-parse HEAD 2>/dev/null); then
  echo "screenshots: $(git -C "$repo_dir" remote get-url origin 2>/dev/null || echo "$repo_dir") at $commit: ${*:2}"
fi

JWTLENS_E2E_WORKSPACE=$repo_dir JWTLENS_E2E_DRIVER=$here/screenshots.mjs SHOTS_FILE=$2 SHOTS_ALSO="${*:3}" SHOTS_DIR=$out \
  "$here/run-e2e.sh"
for image in hover quick-fixes problems status-bar; do
  png=$out/$image.png
  if command -v pngquant >/dev/null; then pngquant --force --skip-if-larger --quality 70-95 --output "$png" "$png" || true; fi
  if command -v optipng >/dev/null; then optipng -quiet -o2 "$png"; fi
  echo "screenshots: $png ($(( $(stat -c %s "$png") / 1024 )) KB)"
done
