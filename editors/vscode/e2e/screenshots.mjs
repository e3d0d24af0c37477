// @ts-check
/// <reference lib="dom" />
// Takes the README's screenshots in the code-server workbench run-e2e.sh starts (through
// screenshots.sh, which sets these besides run-e2e.sh's CS_URL, WS, CHROMIUM):
//   SHOTS_FILE  the file to show, relative to the workspace, with an optional :LINE (the
//               token's line; default: the first line with a JWT)
//   SHOTS_ALSO  more files to open first, separated by spaces: the Problems panel lists
//               the findings of every open file
//   SHOTS_DIR   where the PNGs go: hover.png, quick-fixes.png, problems.png, status-bar.png
// Not a test: it fails only when the workbench does not show what it photographs.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { cursorOnToken, env, hoverToken, launchBrowser, problems, runCommand, TIMEOUT, tokenBox } from "./workbench.mjs";

/** @typedef {import("playwright-core").Page} Page */
/** @typedef {{ x: number, y: number, width: number, height: number }} Box */

const CS_URL = env("CS_URL");
const WS = env("WS");
const SHOTS_DIR = env("SHOTS_DIR");
const [file = "", lineArg] = env("SHOTS_FILE").split(":");
const also = (process.env.SHOTS_ALSO ?? "").split(" ").filter(Boolean);
const VIEWPORT = { width: 1280, height: 800 };
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]*/;

/** The token's line (1-based) and a piece of its text to find it on screen by. */
function tokenLine() {
  const lines = readFileSync(join(WS, file), "utf8").split("\n");
  const number = lineArg ? Number(lineArg) : lines.findIndex((line) => JWT.test(line)) + 1;
  const token = lines[number - 1]?.match(JWT)?.[0];
  if (!token) {
    throw new Error(`${file}:${number} holds no JWT`);
  }
  return { number, marker: token.slice(0, 32) };
}

/**
 * The smallest box holding `boxes`, `pad` pixels wider on every side, inside the viewport.
 * @param {Box[]} boxes
 */
function around(boxes, pad = 12) {
  const left = Math.max(0, Math.min(...boxes.map((b) => b.x)) - pad);
  const top = Math.max(0, Math.min(...boxes.map((b) => b.y)) - pad);
  const right = Math.min(VIEWPORT.width, Math.max(...boxes.map((b) => b.x + b.width)) + pad);
  const bottom = Math.min(VIEWPORT.height, Math.max(...boxes.map((b) => b.y + b.height)) + pad);
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/** The on-screen box of the first element `selector` matches. @param {Page} page @param {string} selector */
async function boxOf(page, selector) {
  const box = await page.locator(selector).first().boundingBox();
  if (!box) {
    throw new Error(`${selector} is not on screen`);
  }
  return box;
}

/** @param {Page} page @param {string} name @param {Box} clip */
async function shoot(page, name, clip) {
  const path = join(SHOTS_DIR, name);
  await page.screenshot({ path, clip });
  console.log(`${name}: ${Math.round(clip.width)}×${Math.round(clip.height)}`);
}

/**
 * Opens a file from the Explorer, expanding its folders (Ctrl+P does nothing headless).
 * @param {Page} page @param {string} path relative to the workspace
 */
async function openFromExplorer(page, path) {
  const rows = page.locator(".explorer-folders-view .monaco-list-row");
  const parts = path.split("/");
  for (const [i, part] of parts.entries()) {
    const row = rows.filter({ hasText: new RegExp(`^${part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`) }).first();
    if (i === parts.length - 1) {
      await row.dblclick({ timeout: TIMEOUT });
    } else if ((await row.getAttribute("aria-expanded", { timeout: TIMEOUT })) !== "true") {
      await row.click({ timeout: TIMEOUT });
    }
  }
  await page.locator(".tabs-container .tab.active", { hasText: basename(path) }).waitFor({ timeout: TIMEOUT });
}

const { number, marker } = tokenLine();
const browser = await launchBrowser(VIEWPORT);
const { page } = browser;
try {
  await page.goto(`${CS_URL}/?folder=${encodeURIComponent(WS)}`);
  await page.locator(".monaco-workbench").waitFor({ timeout: 60_000 });
  for (const path of [...also, file]) {
    await openFromExplorer(page, path);
  }
  // The Explorer has done its part: the editor gets the width.
  await runCommand(page, "View: Close Primary Side Bar");
  // "Go to Line": the command palette with ":" instead of ">".
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget:not([style*='display: none']) input");
  await input.fill(`:${number}`);
  await input.press("Enter");
  await tokenBox(page, marker);
  // The diagnostics are in once a squiggle is drawn.
  await page.locator(".editor-instance .squiggly-error, .editor-instance .squiggly-warning, .editor-instance .squiggly-info").first().waitFor({ timeout: 60_000 });

  const editor = await boxOf(page, ".editor-instance .monaco-editor");
  const hover = page.locator(".monaco-hover:not(.hidden)", { hasText: "Signature" }).first();
  await hoverToken(page, marker, hover);
  const hoverBox = await hover.boundingBox();
  if (!hoverBox) {
    throw new Error("the hover is not on screen");
  }
  const line = await tokenBox(page, marker);
  await shoot(page, "hover.png", around([hoverBox, { ...line, x: editor.x, width: 1 }]));

  await cursorOnToken(page, marker);
  await page.keyboard.press("Control+.");
  const menu = page.locator(".action-widget", { hasText: "Ignore JWT" }).first();
  await menu.waitFor({ timeout: TIMEOUT });
  // The menu's rows settle after it opens (Playwright never finds them "stable").
  await page.waitForTimeout(500);
  const menuBox = await menu.boundingBox();
  if (!menuBox) {
    throw new Error("the Quick Fix menu is not on screen");
  }
  await shoot(page, "quick-fixes.png", around([menuBox, { ...line, x: editor.x, width: 1 }]));
  await page.keyboard.press("Escape");

  await problems(page, "jwtlens findings in the Problems panel", (text) => /JWT\d{3}/.test(text));
  const panel = await boxOf(page, ".part.panel");
  const statusBar = await boxOf(page, ".part.statusbar");
  await shoot(page, "problems.png", around([panel, statusBar], 0));

  const status = page.locator(".statusbar-item", { hasText: /jwtlens: \d+ tokens?/ }).first();
  await status.waitFor({ timeout: TIMEOUT });
  // The item among its neighbours: the right half of the status bar.
  await shoot(page, "status-bar.png", around([await boxOf(page, ".part.statusbar .right-items")], 0));
  console.log(`status bar: ${(await status.innerText()).trim()}`);
} catch (error) {
  await page.screenshot({ path: join(SHOTS_DIR, "failure.png") }).catch(() => undefined);
  console.log(`not ok - ${error instanceof Error ? error.message : String(error)} (the workbench as it was: ${join(SHOTS_DIR, "failure.png")})`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
