/**
 * SQL statements run against the local D1 (`wrangler d1 execute DB --local --file`), with each
 * statement's rows back: the `execute` that scripts/lib/demo-usage.mjs takes. A file, not
 * --command: the demo usage is about a megabyte of SQL, beyond what a command line holds.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runWranglerStdout } from "./wrangler.mjs";

/**
 * An `execute(statements)` for the project's local D1 (`persistArgs`: `--persist-to DIR` or
 * nothing, as `wrangler dev` gets). Each statement must end with `;`.
 */
export function localD1(rootDir, persistArgs = []) {
  return async function executeLocalD1(statements) {
    const dir = await mkdtemp(join(tmpdir(), "tgw-local-d1-"));
    try {
      const file = join(dir, "statements.sql");
      await writeFile(file, `${statements.join("\n")}\n`);
      const stdout = await runWranglerStdout(rootDir, ["d1", "execute", "DB", "--local", ...persistArgs, "--json", "--file", file]);
      const results = JSON.parse(stdout);
      if (!Array.isArray(results) || results.length !== statements.length) {
        throw new Error(
          `wrangler d1 execute returned ${Array.isArray(results) ? results.length : "no"} results for ${statements.length} statements`,
        );
      }
      return results.map((result) => result.results ?? []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
