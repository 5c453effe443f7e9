#!/usr/bin/env node
/**
 * `npm run deploy`: `wrangler deploy`, refused while the Wrangler config still binds D1 to the
 * placeholder database id this repository ships with. Deployed as it is, the Worker would fail
 * every request that touches D1 (every authenticated one, and the ledger), or, should wrangler
 * create a database itself, write to one nobody migrated. Arguments after `--` go to wrangler
 * (`npm run deploy -- --env production`, `-- --dry-run`); `--config FILE` is checked too.
 */
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { spawnWrangler } from "./lib/wrangler.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
/** What wrangler.toml ships with until `wrangler d1 create` prints the real id. */
const PLACEHOLDER_DATABASE_ID = "00000000-0000-0000-0000-000000000000";
const DATABASE_ID = /^[ \t]*database_id[ \t]*=[ \t]*["']([^"']*)["']/gm;

/** The config wrangler will read: `--config FILE`, `-c FILE` or `--config=FILE` among `args`, else wrangler.toml. */
function configPath(args) {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg.startsWith("--config=")) return arg.slice("--config=".length);
    if ((arg === "--config" || arg === "-c") && args[i + 1]) return args[i + 1];
  }
  return "wrangler.toml";
}

/** Line numbers (1-based) of every database_id that is still the placeholder or empty. */
function placeholderLines(toml) {
  return [...toml.matchAll(DATABASE_ID)]
    .filter((match) => match[1] === PLACEHOLDER_DATABASE_ID || match[1]?.trim() === "")
    .map((match) => toml.slice(0, match.index).split("\n").length);
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--") args.shift();
  const config = configPath(args);
  const file = isAbsolute(config) ? config : join(ROOT, config);
  let toml;
  try {
    toml = await readFile(file, "utf8");
  } catch {
    console.error(`[deploy] cannot read ${config}: nothing deployed.`);
    process.exit(1);
  }
  const lines = placeholderLines(toml);
  if (lines.length > 0) {
    console.error(
      [
        `[deploy] refused: ${config} line ${lines.join(", ")} still has database_id = "${PLACEHOLDER_DATABASE_ID}", the placeholder.`,
        "         Create the database and put its id there, then apply the migrations:",
        "           npx wrangler d1 create tensoras-gateway      # prints database_id",
        "           npx wrangler d1 migrations apply DB --remote",
        '         (README.md, "Deploying to Cloudflare", lists every resource to create first.) Nothing deployed.',
      ].join("\n"),
    );
    process.exit(1);
  }
  const wrangler = spawnWrangler(ROOT, ["deploy", ...args], { stdio: "inherit" });
  // Ctrl-C reaches wrangler too (same process group); waiting for it keeps its output last.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => wrangler.kill("SIGTERM"));
  wrangler.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

main();
