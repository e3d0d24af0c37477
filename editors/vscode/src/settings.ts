// The settings sent to the server, as `initializationOptions`, in
// `workspace/didChangeConfiguration` and in answers to `workspace/configuration`.
//
// The server layers these over the workspace's `.jwtlens.toml`, and they win key by key,
// so only settings the user actually set are sent: VS Code's defaults must not hide the
// file's values. The one exception is `inlayHints`, which this extension turns on by
// default (the server's own default is off).
import * as vscode from "vscode";

/** Every server setting under `jwtlens.`, in the camelCase the server accepts. */
const SERVER_SETTINGS = [
  "rules",
  "clockSkew",
  "lifetimeThreshold",
  "fixturePaths",
  "ignorePaths",
  "allow",
  "providers",
  "policy.issuers",
  "policy.audiences",
  "policy.authorizedParties",
  "policy.requiredClaims",
  "policy.permissionsClaim",
  "policy.permissionsShape",
  "docsUrl",
  "maxDiagnostics",
  "mint.lifetime",
] as const;

type Settings = { [key: string]: unknown };

export function serverSettings(): Settings {
  const config = vscode.workspace.getConfiguration("jwtlens");
  const settings: Settings = { inlayHints: config.get<boolean>("inlayHints", true) };
  for (const key of SERVER_SETTINGS) {
    const value = explicitValue(config, key);
    if (value !== undefined) {
      setDotted(settings, key, value);
    }
  }
  return settings;
}

/** The value the user set (folder, workspace or user settings), not VS Code's default. */
function explicitValue(config: vscode.WorkspaceConfiguration, key: string): unknown {
  const inspected = config.inspect(key);
  const value = inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
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
