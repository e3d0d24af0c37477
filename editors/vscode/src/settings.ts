// The settings sent to the server, as `initializationOptions`, in
// `workspace/didChangeConfiguration` and in answers to `workspace/configuration`.
//
// The server layers these over the workspace's `.jwtlens.toml`, and they win key by key,
// so only settings the user actually set are sent: VS Code's defaults must not hide the
// file's values. The exceptions are `inlay_hints`, which this extension turns on by
// default (the server's own default is off), and `hover_findings`, which it turns off.
//
// `trusted_workspace` tells the server whether the folder is trusted (VS Code's workspace
// trust): when it is not, the server runs in restricted mode, and only the user's own
// settings are sent, since the folder's `.vscode/settings.json` is as untrusted as the
// rest of it.
import * as vscode from "vscode";

/**
 * Every server setting: its name under `jwtlens.` in VS Code, and its place in the server's
 * settings (the names of `.jwtlens.toml`, which the server accepts at every depth).
 */
const SERVER_SETTINGS: readonly (readonly [string, string])[] = [
  ["rules", "rules"],
  ["clockSkew", "clock_skew"],
  ["lifetimeThreshold", "lifetime_threshold"],
  ["fixturePaths", "fixture_paths"],
  ["ignorePaths", "ignore_paths"],
  ["allow", "allow"],
  ["providers", "providers"],
  ["policy.issuers", "policy.issuers"],
  ["policy.audiences", "policy.audiences"],
  ["policy.authorizedParties", "policy.authorized_parties"],
  ["policy.requiredClaims", "policy.required_claims"],
  ["policy.permissionsClaim", "policy.permissions_claim"],
  ["policy.permissionsShape", "policy.permissions_shape"],
  ["keys.secrets", "keys.secrets"],
  ["keys.secretEnv", "keys.secret_env"],
  ["keys.dotenv", "keys.dotenv"],
  ["keys.files", "keys.files"],
  ["keys.jwksUrls", "keys.jwks_urls"],
  ["docsUrl", "docs_url"],
  ["maxDiagnostics", "max_diagnostics"],
  ["workspaceDiagnostics", "workspace_diagnostics"],
  ["mint.lifetime", "mint.lifetime"],
  ["mint.keysDir", "mint.keys_dir"],
  ["mint.privateKeys", "mint.private_keys"],
];

type Settings = { [key: string]: unknown };

export function serverSettings(): Settings {
  const config = vscode.workspace.getConfiguration("jwtlens");
  const trusted = vscode.workspace.isTrusted;
  const settings: Settings = {
    inlay_hints: config.get<boolean>("inlayHints", true),
    // VS Code lists the diagnostics at the top of the hover; the server's list would repeat them.
    hover_findings: config.get<boolean>("hoverFindings", false),
    trusted_workspace: trusted,
  };
  for (const [name, path] of SERVER_SETTINGS) {
    const value = explicitValue(config, name, trusted);
    if (value !== undefined) {
      setDotted(settings, path, value);
    }
  }
  return settings;
}

/**
 * The value the user set, not VS Code's default: folder, workspace or user settings in a
 * trusted folder, the user's own settings only in an untrusted one.
 */
function explicitValue(config: vscode.WorkspaceConfiguration, key: string, trusted: boolean): unknown {
  const inspected = config.inspect(key);
  const value = trusted
    ? (inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue)
    : inspected?.globalValue;
  return value ?? undefined;
}

function setDotted(target: Settings, dotted: string, value: unknown): void {
  const parts = dotted.split(".");
  const last = parts.pop();
  let node = target;
  for (const part of parts) {
    const child = node[part];
    if (typeof child === "object" && child !== null) {
      node = child as Settings;
    } else {
      const created: Settings = {};
      node[part] = created;
      node = created;
    }
  }
  if (last !== undefined) {
    node[last] = value;
  }
}
