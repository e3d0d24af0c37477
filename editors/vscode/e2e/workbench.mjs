// @ts-check
/// <reference lib="dom" />
// What drive.mjs (the end-to-end test) and screenshots.mjs (the README's images) both do in
// the code-server workbench that run-e2e.sh starts: open Chromium on it, wait for things,
// run commands, find a token on screen, hover it, read the Problems panel.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

/** @typedef {import("playwright-core").Page} Page */
/** @typedef {import("playwright-core").Locator} Locator */

/** How long one step may wait for the workbench, in milliseconds. */
export const TIMEOUT = 30_000;

/** A variable run-e2e.sh sets. @param {string} name */
export function env(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set (run e2e/run-e2e.sh)`);
  }
  return value;
}

/**
 * Starts Chromium (CHROMIUM) in a throw-away profile, with the clipboard allowed for the
 * workbench at CS_URL. `close` ends it and deletes the profile.
 * @param {{ width: number, height: number }} viewport
 */
export async function launchBrowser(viewport) {
  const profile = mkdtempSync(join(tmpdir(), "chromium-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: env("CHROMIUM"),
    headless: true,
    // Keep Chromium's crashpad, dconf and NSS files out of $HOME.
    env: { ...process.env, HOME: profile, XDG_CONFIG_HOME: join(profile, "config"), XDG_CACHE_HOME: join(profile, "cache") },
    viewport,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: env("CS_URL") });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (error) => console.log(`    [page error] ${error.message.slice(0, 200)}`));
  const close = async () => {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  };
  return { page, close };
}

/**
 * Polls `probe` until it returns a truthy value; fails with `what` after the timeout.
 * @template T
 * @param {string} what
 * @param {() => Promise<T>} probe
 * @returns {Promise<NonNullable<T>>}
 */
export async function waitFor(what, probe, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await probe();
      if (last) {
        return /** @type {NonNullable<T>} */ (last);
      }
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? ` (last: ${String(last).slice(0, 300)})` : ""}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** @param {string} text @param {string[]} needles @param {string} what */
export function expectAll(text, needles, what) {
  const missing = needles.filter((needle) => !text.includes(needle));
  if (missing.length > 0) {
    throw new Error(`${what} lacks ${missing.map((m) => JSON.stringify(m)).join(", ")}:\n${text.slice(0, 2000)}`);
  }
}

/** Runs a command from the command palette (F1; Ctrl+P does nothing headless). @param {Page} page @param {string} title */
export async function runCommand(page, title) {
  await page.keyboard.press("Escape");
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget:not([style*='display: none']) input");
  await input.waitFor({ timeout: TIMEOUT });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-widget .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ timeout: TIMEOUT });
  await input.press("Enter");
}

/**
 * The Problems panel's text once `ready` holds for it. The panel lists the open files' problems.
 * @param {Page} page
 * @param {string} what
 * @param {(text: string) => boolean} ready
 */
export async function problems(page, what, ready) {
  const panel = page.locator(".markers-panel");
  if (!(await panel.isVisible())) {
    await page.keyboard.press("Control+Shift+M");
  }
  return waitFor(what, async () => {
    const text = (await panel.innerText()).replace(/\s+/g, " ");
    return ready(text) ? text : undefined;
  });
}

/** The editor line that holds `marker`. @param {Page} page @param {string} marker */
export function editorLine(page, marker) {
  return page.locator(".editor-instance .monaco-editor .view-lines .view-line", { hasText: marker }).first();
}

/**
 * The first piece of a line's text that holds the start of its token (the editor splits a
 * line into spans by syntax and decorations). @param {Page} page @param {string} marker
 */
function tokenSpan(page, marker) {
  return editorLine(page, marker).locator("span > span", { hasText: "eyJ" }).first();
}

/**
 * Where a line's token is on screen, once the editor has drawn it (it redraws a line after
 * every edit). @param {Page} page @param {string} marker
 */
export function tokenBox(page, marker) {
  return waitFor(`the token on the line with ${marker} on screen`, () => tokenSpan(page, marker).boundingBox({ timeout: 2_000 }), 10_000);
}

/**
 * Puts the cursor inside a line's token, with no hover or tooltip in the way.
 * @param {Page} page @param {string} marker
 */
export async function cursorOnToken(page, marker) {
  await page.mouse.move(5, 5);
  await page.keyboard.press("Escape");
  // A mouse click where the token is: the editor's cursor and scroll layers lie over the
  // text, which Playwright's element click counts as "intercepting".
  const box = await tokenBox(page, marker);
  await page.mouse.click(box.x + 40, box.y + box.height / 2);
}

/**
 * Opens the Quick Fix menu (Ctrl+.) on the token of the line with `marker` until `row`
 * shows in it. Each try starts afresh: right after an edit or a save, VS Code can show
 * "No code actions available" for a request made while the document changed, and it
 * does not ask again.
 * @param {Page} page @param {string} marker @param {Locator} row
 */
export function quickFix(page, marker, row) {
  return waitFor(`the Quick Fix menu on the line with ${marker}`, async () => {
    await cursorOnToken(page, marker);
    await page.keyboard.press("Control+.");
    await row.waitFor({ state: "visible", timeout: 5_000 });
    return true;
  });
}

/**
 * Hovers the token on the line with `marker` until `hover` shows; its text, spaces collapsed.
 * @param {Page} page @param {string} marker @param {Locator} hover
 */
export function hoverToken(page, marker, hover) {
  return waitFor("the hover", async () => {
    // Each try starts afresh: no hover open, the token where it is now.
    await page.mouse.move(5, 5);
    await page.keyboard.press("Escape");
    const box = await tokenBox(page, marker);
    await page.mouse.move(box.x + 40, box.y + box.height / 2);
    await page.mouse.move(box.x + 60, box.y + box.height / 2);
    await hover.waitFor({ state: "visible", timeout: 5_000 });
    return (await hover.innerText()).replace(/\s+/g, " ");
  }, 60_000);
}
