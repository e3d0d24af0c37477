// Decoded tokens as read-only JSON documents under the `jwtlens:` scheme.
import * as vscode from "vscode";

export const SCHEME = "jwtlens";

export class DecodedTokens implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private count = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? "// This decoded token is gone: run “jwtlens: Decode token under cursor” again.\n";
  }

  /** Opens `decoded` (the server's `jwtlens.decode` result) beside the current editor. */
  async show(decoded: unknown): Promise<vscode.TextEditor> {
    this.count += 1;
    const uri = vscode.Uri.from({
      scheme: SCHEME,
      path: `/${fileLabel(decoded)}.json`,
      query: String(this.count),
    });
    this.contents.set(uri.toString(), JSON.stringify(decoded, null, 2) + "\n");
    const document = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  }

  /** Forgets a closed document's text. */
  forget(document: vscode.TextDocument): void {
    if (document.uri.scheme === SCHEME) {
      this.contents.delete(document.uri.toString());
    }
  }
}

/** A tab title such as `Clerk token user_2vC1Test`. */
function fileLabel(decoded: unknown): string {
  const record = asRecord(decoded);
  const provider = asRecord(asRecord(record["facts"])["provider"])["name"];
  const subject = asRecord(record["payload"])["sub"];
  const parts = [typeof provider === "string" && provider ? provider : "JWT", "token"];
  if (typeof subject === "string" && subject) {
    parts.push(subject);
  }
  return parts.join(" ").replace(/[\\/:*?"<>|#%]+/g, "_").slice(0, 80);
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
}
