/**
 * `.dev.vars`: the local secrets file wrangler reads (never committed). Created from
 * `.dev.vars.example` on a fresh clone so `npm run dev` needs no manual step.
 */

import { existsSync } from "node:fs";
import { copyFile, readFile } from "node:fs/promises";
import { join } from "node:path";

/** Parses KEY=VALUE lines; `#` starts a comment line; surrounding quotes are removed. */
export function parseDevVars(text) {
  /** @type {Record<string, string>} */
  const vars = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2];
    const quoted = /^(["'])(.*)\1$/.exec(value);
    value = quoted ? quoted[2] : value.replace(/\s+#.*$/, "");
    vars[match[1]] = value;
  }
  return vars;
}

/**
 * Ensures `.dev.vars` exists and returns its values.
 * @returns {Promise<{ vars: Record<string, string>, created: boolean }>}
 */
export async function loadDevVars(rootDir) {
  const path = join(rootDir, ".dev.vars");
  let created = false;
  if (!existsSync(path)) {
    await copyFile(join(rootDir, ".dev.vars.example"), path);
    created = true;
  }
  return { vars: parseDevVars(await readFile(path, "utf8")), created };
}
