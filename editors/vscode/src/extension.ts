// The jwtlens extension: starts the language server for every file and adds the
// decode, verify and mint commands on the token under the cursor.
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  ResponseError,
  State,
  type DynamicFeature,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
} from "vscode-languageclient/node";
import { DecodedTokens, SCHEME } from "./decoded";
import { findServer, ServerNotFound } from "./server";
import { serverSettings } from "./settings";
import { StatusItem } from "./status";

/** Server commands that this extension registers itself (with the cursor as default argument). */
const CLIENT_COMMANDS = new Set(["jwtlens.decode", "jwtlens.verify", "jwtlens.mint", "jwtlens.explain", "jwtlens.compare"]);

const MINT_VARIANTS: readonly (vscode.QuickPickItem & { variant: string })[] = [
  { label: "Replacement", description: "same claims, fresh times, signed by the workspace test key", variant: "replacement" },
  { label: "Anonymised", description: "a replacement with synthetic identifiers", variant: "anonymised" },
  { label: "Expired", description: "adds an expired copy of the line, for negative tests", variant: "expired" },
  { label: "Wrong audience", description: "adds a copy with an audience your APIs reject", variant: "wrong-audience" },
  { label: "Unsigned", description: "adds an alg none copy of the line", variant: "unsigned" },
];

/**
 * A language client without the built-in registration of the server's commands: the
 * extension registers `jwtlens.decode`, `jwtlens.verify`, `jwtlens.mint`, `jwtlens.explain`
 * and `jwtlens.compare` itself (they work from the command palette too), and forwards any
 * other server command.
 */
class JwtlensClient extends LanguageClient {
  override registerFeature(feature: StaticFeature | DynamicFeature<unknown>): void {
    if ("registrationType" in feature && feature.registrationType.method === ExecuteCommandRequest.method) {
      return;
    }
    super.registerFeature(feature);
  }
}

class Extension {
  private client: LanguageClient | undefined;
  /** Forwarders for server commands not in CLIENT_COMMANDS, disposed with the client. */
  private forwarders: vscode.Disposable[] = [];
  /** Start, stop and restart run one at a time, in order; a failed one does not block the next. */
  private queue: Promise<void> = Promise.resolve();
  readonly decoded = new DecodedTokens();
  readonly output = vscode.window.createOutputChannel("jwtlens");
  readonly status = new StatusItem();

  constructor(private readonly context: vscode.ExtensionContext) {}

  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  private enqueue(operation: () => Promise<void>): Promise<void> {
    const done = this.queue.then(operation);
    this.queue = done.catch((error) => this.output.appendLine(`jwtlens: ${describe(error)}`));
    return done;
  }

  private async doStart(): Promise<void> {
    this.status.starting();
    let binary;
    try {
      binary = findServer(this.context.extensionPath);
    } catch (error) {
      if (error instanceof ServerNotFound) {
        this.output.appendLine(error.message);
        this.status.stopped("the language server was not found");
        void this.showNotFound(error);
        return;
      }
      throw error;
    }
    this.output.appendLine(`jwtlens: starting ${binary.path} (from ${binary.source})`);
    const serverOptions: ServerOptions = { command: binary.path, args: ["--stdio"] };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: "file" }, { scheme: "untitled" }],
      initializationOptions: serverSettings(),
      outputChannel: this.output,
      middleware: {
        workspace: {
          // The server asks for section "jwtlens" when a change notification has no settings.
          configuration: (params, token, next) =>
            params.items.every((item) => item.section === "jwtlens")
              ? params.items.map(() => serverSettings())
              : next(params, token),
        },
      },
    };
    const client = new JwtlensClient("jwtlens", "jwtlens", serverOptions, clientOptions);
    try {
      await client.start();
    } catch (error) {
      this.output.appendLine(`jwtlens: the server did not start: ${describe(error)}`);
      void vscode.window.showErrorMessage(
        `jwtlens: the language server (${binary.path}) did not start: ${describe(error)}`,
        "Show Logs",
      ).then((choice) => choice && this.output.show());
      await client.dispose().catch(() => undefined);
      this.status.stopped("the language server did not start");
      return;
    }
    this.client = client;
    this.status.running(client);
    client.onDidChangeState((change) => {
      if (change.newState === State.Stopped && this.client === client) {
        this.status.stopped("the language server stopped");
      }
    });
    const info = client.initializeResult?.serverInfo;
    this.output.appendLine(`jwtlens: ${info?.name ?? "server"} ${info?.version ?? ""} is running`);
    for (const command of this.serverCommands().filter((name) => !CLIENT_COMMANDS.has(name))) {
      try {
        this.forwarders.push(
          vscode.commands.registerCommand(command, (...args: unknown[]) => this.execute(command, args)),
        );
      } catch (error) {
        this.output.appendLine(`jwtlens: cannot register the server command ${command}: ${describe(error)}`);
      }
    }
  }

  private async doStop(): Promise<void> {
    this.forwarders.forEach((forwarder) => forwarder.dispose());
    this.forwarders = [];
    const client = this.client;
    this.client = undefined;
    if (client) {
      await client.stop().catch((error) => this.output.appendLine(`jwtlens: stop failed: ${describe(error)}`));
      this.status.stopped("the language server was stopped");
    }
  }

  private async showNotFound(error: ServerNotFound): Promise<void> {
    const fix = error.badSetting ? "Open Settings" : "Set Path";
    const choice = await vscode.window.showErrorMessage(error.message, fix, "Show Logs");
    if (choice === fix) {
      await vscode.commands.executeCommand("workbench.action.openSettings", "jwtlens.server.path");
    } else if (choice === "Show Logs") {
      this.output.show();
    }
  }

  /**
   * Settings changed: a new binary, or workspace diagnostics (a capability the server
   * declares when it starts), need a restart; anything else is sent to the server.
   */
  async configurationChanged(event: vscode.ConfigurationChangeEvent): Promise<void> {
    if (event.affectsConfiguration("jwtlens.server") || event.affectsConfiguration("jwtlens.workspaceDiagnostics")) {
      await this.restart();
    } else if (event.affectsConfiguration("jwtlens") && this.client?.state === State.Running) {
      await this.client.sendNotification(DidChangeConfigurationNotification.type, {
        settings: { jwtlens: serverSettings() },
      });
    }
  }

  serverCommands(): string[] {
    return this.client?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  }

  /** Runs a server command; errors are shown to the user and resolve to undefined. */
  async execute(command: string, args: unknown[]): Promise<unknown> {
    const client = this.client;
    if (!client || client.state !== State.Running) {
      void vscode.window.showErrorMessage("jwtlens: the language server is not running.", "Restart Server", "Show Logs")
        .then((choice) => {
          if (choice === "Restart Server") {
            void this.restart();
          } else if (choice === "Show Logs") {
            this.output.show();
          }
        });
      return undefined;
    }
    if (!this.serverCommands().includes(command)) {
      const version = client.initializeResult?.serverInfo?.version ?? "unknown version";
      void vscode.window.showWarningMessage(
        `jwtlens: this server (jwtlens ${version}) has no ${command} command yet; update jwtlens to use it.`,
      );
      return undefined;
    }
    try {
      return await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: args });
    } catch (error) {
      const message = error instanceof ResponseError ? error.message : describe(error);
      void vscode.window.showWarningMessage(`jwtlens: ${message}`);
      return undefined;
    }
  }

  /**
   * The argument for a command on the token under the cursor. A code action passes the
   * server's own argument (an object with a position); the palette passes nothing and a
   * context menu the document's URI, which both mean the active editor's cursor.
   */
  tokenArgument(args: unknown[], extra: Record<string, unknown> = {}): unknown {
    if (isServerArgument(args[0])) {
      return args[0];
    }
    const editor = vscode.window.activeTextEditor;
    const client = this.client;
    if (!editor || !client) {
      return undefined;
    }
    return {
      textDocument: { uri: client.code2ProtocolConverter.asUri(editor.document.uri) },
      position: client.code2ProtocolConverter.asPosition(editor.selection.active),
      ...extra,
    };
  }

  /** Runs a server command on the token under the cursor (or on a code action's argument). */
  async onToken(command: string, args: unknown[], extra: Record<string, unknown> = {}): Promise<unknown> {
    const argument = this.tokenArgument(args, extra);
    if (argument === undefined) {
      if (!vscode.window.activeTextEditor) {
        void vscode.window.showInformationMessage("jwtlens: open a file and put the cursor on a token first.");
        return undefined;
      }
      return this.execute(command, []); // reports that the server is not running
    }
    return this.execute(command, [argument]);
  }
}

/** A code action's argument: `{textDocument, position, …}` or `{uri, position}`. */
function isServerArgument(value: unknown): boolean {
  return typeof value === "object" && value !== null && "position" in value;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let extension: Extension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const ext = new Extension(context);
  extension = ext;
  context.subscriptions.push(
    ext.output,
    ext.status,
    // The counts follow the active file and its diagnostics (published after each analysis).
    vscode.window.onDidChangeActiveTextEditor(() => ext.status.refresh()),
    vscode.languages.onDidChangeDiagnostics(() => ext.status.refresh()),
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, ext.decoded),
    vscode.workspace.onDidCloseTextDocument((document) => ext.decoded.forget(document)),
    vscode.workspace.onDidChangeConfiguration((event) => ext.configurationChanged(event)),
    // Restricted mode ends: start again with the folder's keys and settings.
    vscode.workspace.onDidGrantWorkspaceTrust(() => ext.restart()),
    vscode.commands.registerCommand("jwtlens.decode", async (...args: unknown[]) => {
      const decoded = await ext.onToken("jwtlens.decode", args);
      if (decoded !== undefined) {
        await ext.decoded.show(decoded);
      }
    }),
    vscode.commands.registerCommand("jwtlens.verify", (...args: unknown[]) => ext.onToken("jwtlens.verify", args)),
    vscode.commands.registerCommand("jwtlens.mintReplacement", (...args: unknown[]) =>
      ext.onToken("jwtlens.mint", args, { variant: "replacement" }),
    ),
    vscode.commands.registerCommand("jwtlens.mint", async (...args: unknown[]) => {
      if (isServerArgument(args[0])) {
        return ext.onToken("jwtlens.mint", args);
      }
      const picked = await vscode.window.showQuickPick(MINT_VARIANTS, { title: "jwtlens: mint a test token" });
      return picked ? ext.onToken("jwtlens.mint", [], { variant: picked.variant }) : undefined;
    }),
    // The code lens's command (with the lens's argument), or the palette's on the cursor.
    vscode.commands.registerCommand("jwtlens.explain", (...args: unknown[]) => ext.onToken("jwtlens.explain", args)),
    // "Compare with token…": the token under the cursor against one the user pastes; the
    // server's diff opens beside the editor.
    vscode.commands.registerCommand("jwtlens.compare", async (...args: unknown[]) => {
      const here = ext.tokenArgument(args);
      if (here === undefined) {
        void vscode.window.showInformationMessage("jwtlens: open a file and put the cursor on a token first.");
        return undefined;
      }
      const other = await vscode.window.showInputBox({
        title: "jwtlens: compare with token",
        prompt: "The token to compare the one under the cursor with",
        placeHolder: "eyJ…",
        ignoreFocusOut: true,
      });
      if (!other) {
        return undefined;
      }
      const diff = await ext.execute("jwtlens.compare", [here, other.trim()]);
      if (diff !== undefined) {
        await ext.decoded.show(diff);
      }
      return diff;
    }),
    vscode.commands.registerCommand("jwtlens.restartServer", () => ext.restart()),
    vscode.commands.registerCommand("jwtlens.showLogs", () => ext.output.show()),
  );
  await ext.start();
}

export async function deactivate(): Promise<void> {
  await extension?.stop();
}
