// The status bar item: whether the server runs, and how many tokens and findings the
// current file has. A click opens the Problems panel (or the log when the server is not
// running).
import * as vscode from "vscode";
import { State, type LanguageClient } from "vscode-languageclient/node";

/** The server's answer to `jwtlens/documentSummary`. */
type DocumentSummary = { tokens: number; findings: number } | null;

export class StatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("jwtlens.status", vscode.StatusBarAlignment.Right, 100);
  private client: LanguageClient | undefined;
  /** Bumped by every refresh, so a slow answer for an older editor is dropped. */
  private generation = 0;

  constructor() {
    this.item.name = "jwtlens";
    this.starting();
    this.item.show();
  }

  starting(): void {
    this.client = undefined;
    this.set("$(sync~spin) jwtlens", "jwtlens: starting the language server", "jwtlens.showLogs");
  }

  stopped(why: string): void {
    this.client = undefined;
    this.set("$(error) jwtlens", `jwtlens: ${why}. Click for the log.`, "jwtlens.showLogs");
    this.item.backgroundColor = new vscode.ThemeColor("statusBarItem.errorBackground");
  }

  running(client: LanguageClient): void {
    this.client = client;
    void this.refresh();
  }

  /** Asks the server for the active file's counts. */
  async refresh(): Promise<void> {
    const generation = ++this.generation;
    const client = this.client;
    if (!client) {
      return;
    }
    if (client.state !== State.Running) {
      this.stopped("the language server is not running");
      return;
    }
    const editor = vscode.window.activeTextEditor;
    let summary: DocumentSummary = null;
    if (editor) {
      const uri = client.code2ProtocolConverter.asUri(editor.document.uri);
      summary = await client
        .sendRequest<DocumentSummary>("jwtlens/documentSummary", { textDocument: { uri } })
        .catch(() => null);
    }
    if (generation !== this.generation) {
      return;
    }
    if (!summary) {
      this.set("$(check) jwtlens", "jwtlens: running. Click for the Problems panel.", "workbench.actions.view.problems");
      return;
    }
    const tokens = plural(summary.tokens, "token");
    const findings = plural(summary.findings, "finding");
    const icon = summary.findings > 0 ? "$(warning)" : "$(check)";
    this.set(
      `${icon} jwtlens: ${tokens}, ${findings}`,
      `jwtlens: ${tokens} and ${findings} in this file. Click for the Problems panel.`,
      "workbench.actions.view.problems",
    );
  }

  private set(text: string, tooltip: string, command: string): void {
    this.item.text = text;
    this.item.tooltip = tooltip;
    this.item.command = command;
    this.item.backgroundColor = undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
