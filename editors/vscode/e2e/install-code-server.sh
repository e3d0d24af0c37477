#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, the newest whose engines accept Node 20)
# from the npm registry alone into $1, unless it is already there. About 60 s and 310 MB.
# Needs (apt): build-essential python3 libkrb5-dev libxkbfile-dev libsecret-1-dev ripgrep.
set -euo pipefail
CS=${1:?usage: install-code-server.sh DIR}
VERSION=4.100.3
if [ -x "$CS/node_modules/.bin/code-server" ] && [ -f "$CS/.installed-$VERSION" ]; then
  exit 0
fi
rm -rf "$CS" && mkdir -p "$CS" && cd "$CS"
echo '{"name":"code-server-install","private":true}' > package.json
export npm_config_nodedir=/usr npm_config_unsafe_perm=true npm_config_yes=true \
  npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false
# code-server's own postinstall downloads ripgrep from GitHub (unreachable): skip scripts,
# then do what it does by hand.
npm install --no-save --ignore-scripts "code-server@$VERSION"
npm rebuild --foreground-scripts argon2
cd node_modules/code-server/lib/vscode
npm install --omit=dev --ignore-scripts
JOBS=2 npm rebuild --foreground-scripts kerberos @vscode/deviceid @vscode/spdlog native-watchdog node-pty
mkdir -p node_modules/@vscode/ripgrep/bin && ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
rm -rf node_modules.asar && ln -s node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev)
XDG_CONFIG_HOME="$CS/.xdg-config" XDG_DATA_HOME="$CS/.xdg-data" "$CS/node_modules/.bin/code-server" --version
touch "$CS/.installed-$VERSION"
