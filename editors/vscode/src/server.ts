// Finding the jwtlens binary: the `jwtlens.server.path` setting, else the binary bundled
// in the extension, else `jwtlens` on PATH.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";

const EXE = process.platform === "win32" ? "jwtlens.exe" : "jwtlens";

export interface ServerBinary {
  path: string;
  /** Where it was found, for the log: "jwtlens.server.path", "bundled" or "PATH". */
  source: string;
}

/** No usable binary; the message says what was tried and how to fix it. */
export class ServerNotFound extends Error {
  constructor(
    message: string,
    /** True when `jwtlens.server.path` is set but wrong: the fix is in the settings. */
    readonly badSetting: boolean,
  ) {
    super(message);
  }
}

export function findServer(extensionPath: string): ServerBinary {
  const configured = vscode.workspace.getConfiguration("jwtlens").get<string>("server.path", "").trim();
  if (configured) {
    const resolved = expandPath(configured);
    if (!isExecutable(resolved)) {
      throw new ServerNotFound(
        `jwtlens: the setting jwtlens.server.path is "${configured}", but ${resolved} is not an executable file. ` +
          "Fix the path, or clear the setting to use the bundled binary or jwtlens on PATH.",
        true,
      );
    }
    return { path: resolved, source: "jwtlens.server.path" };
  }
  const bundled = path.join(extensionPath, "bundled", EXE);
  if (fs.existsSync(bundled) && makeExecutable(bundled)) {
    return { path: bundled, source: "bundled" };
  }
  const onPath = searchPath(EXE);
  if (onPath) {
    return { path: onPath, source: "PATH" };
  }
  throw new ServerNotFound(
    "jwtlens: the jwtlens language server was not found: this extension has no bundled binary for " +
      `${process.platform}-${process.arch} and there is no jwtlens on PATH. ` +
      "Put jwtlens on PATH (cargo install --path . in a jwtlens checkout) or set jwtlens.server.path to the binary.",
    false,
  );
}

function expandPath(value: string): string {
  let expanded = value;
  if (expanded === "~" || expanded.startsWith("~/")) {
    expanded = path.join(os.homedir(), expanded.slice(1));
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (folder) {
    expanded = expanded.replace(/\$\{workspaceFolder\}/g, folder);
  }
  if (!path.isAbsolute(expanded) && folder) {
    expanded = path.join(folder, expanded);
  }
  return expanded;
}

function isExecutable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A .vsix may lose the executable bit on extraction; restore it. */
function makeExecutable(file: string): boolean {
  if (isExecutable(file)) {
    return true;
  }
  try {
    fs.chmodSync(file, 0o755);
  } catch {
    return false;
  }
  return isExecutable(file);
}

function searchPath(exe: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(path.delimiter)) {
    if (dir) {
      const candidate = path.join(dir, exe);
      if (isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}
