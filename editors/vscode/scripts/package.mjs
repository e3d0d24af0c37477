// @ts-check
// `npm run package`: builds the server (cargo build --release), places it in bundled/,
// type-checks and bundles the extension, and packages a .vsix for this platform.
//
// CARGO_TARGET_DIR is honoured; the .vsix is written to this folder as
// jwtlens-<platform>-<version>.vsix (its path is printed last).
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const extensionDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = resolve(extensionDir, "../..");
const exe = process.platform === "win32" ? "jwtlens.exe" : "jwtlens";
/** @param {string} name */
const bin = (name) => join(extensionDir, "node_modules", ".bin", process.platform === "win32" ? `${name}.cmd` : name);

/** @param {string} command @param {string[]} args @param {string} cwd */
function run(command, args, cwd) {
  console.log(`$ ${[command, ...args].join(" ")}`);
  execFileSync(command, args, { cwd, stdio: "inherit" });
}

// 1. The server: a release build, or the binary JWTLENS_SERVER_BINARY names. CI bundles
// the server its `cargo test` has already built and tested, instead of a second full build
// (.ci/run says why).
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(repoRoot, process.env.CARGO_TARGET_DIR) : join(repoRoot, "target");
let built = join(targetDir, "release", exe);
if (process.env.JWTLENS_SERVER_BINARY) {
  built = resolve(process.env.JWTLENS_SERVER_BINARY);
} else {
  run("cargo", ["build", "--release", "--locked", "--bin", "jwtlens"], repoRoot);
}
if (!existsSync(built)) {
  throw new Error(`no server binary at ${built}`);
}
console.log(`bundling the server ${built}`);
rmSync(join(extensionDir, "bundled"), { recursive: true, force: true });
mkdirSync(join(extensionDir, "bundled"));
const bundled = join(extensionDir, "bundled", exe);
copyFileSync(built, bundled);
chmodSync(bundled, 0o755);
// No strip step: `[profile.release] strip = true` (Cargo.toml) already leaves the release
// binary without symbols or debug info.

// 2. The extension.
run(bin("tsc"), ["--noEmit", "-p", "."], extensionDir);
run(process.execPath, ["esbuild.mjs", "--minify"], extensionDir);

// The walkthrough's images (package.json, contributes.walkthroughs) are the README's
// screenshots in docs/images/: a walkthrough can show only files inside the extension.
rmSync(join(extensionDir, "walkthrough"), { recursive: true, force: true });
mkdirSync(join(extensionDir, "walkthrough"));
for (const image of ["status-bar.png", "hover.png", "quick-fixes.png", "problems.png"]) {
  copyFileSync(join(repoRoot, "docs", "images", image), join(extensionDir, "walkthrough", image));
}

// 3. The .vsix: platform-specific, since it carries a native binary.
const target = `${process.platform}-${process.arch}`;
const { version, repository } = JSON.parse(readFileSync(join(extensionDir, "package.json"), "utf8"));
const out = join(extensionDir, `jwtlens-${target}-${version}.vsix`);
// vsce makes the README's relative links absolute, but ignores repository.directory.
const base = `${repository.url}/%s/HEAD/${repository.directory}`;
run(
  bin("vsce"),
  [
    "package",
    "--no-dependencies",
    "--skip-license",
    "--target",
    target,
    "--out",
    out,
    "--baseContentUrl",
    base.replace("%s", "blob"),
    "--baseImagesUrl",
    base.replace("%s", "raw"),
  ],
  extensionDir,
);
console.log(out);
