/**
 * `npm run deploy` (scripts/deploy.mjs) run in a copy of the project in a temp directory,
 * with its wrangler.toml changed by the test, for test/e2e/deploy-check.test.ts. Always
 * with `--dry-run`: should the check let a deploy through, wrangler builds and stops there.
 *
 * Node built-ins only. Typed by deploy-copy.d.mts.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
/** What `wrangler deploy --dry-run` needs of the project. */
const DEPLOY_FILES = ["scripts", "src", "migrations", "wrangler.toml", "package.json", "tsconfig.json"];

/** The project's wrangler.toml as committed (with the placeholder database id). */
export function projectWranglerToml() {
  return readFile(join(ROOT, "wrangler.toml"), "utf8");
}

/**
 * Runs `npm run deploy -- --dry-run ...args` in a copy whose wrangler.toml is `toml`.
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
export async function deployInCopy(toml, args = []) {
  const root = await mkdtemp(join(tmpdir(), "tensoras-gateway-deploy-"));
  try {
    for (const file of DEPLOY_FILES) await cp(join(ROOT, file), join(root, file), { recursive: true });
    await symlink(join(ROOT, "node_modules"), join(root, "node_modules"), "dir");
    await writeFile(join(root, "wrangler.toml"), toml);
    return await new Promise((resolve) => {
      execFile(
        "npm",
        ["run", "deploy", "--", "--dry-run", ...args],
        { cwd: root, timeout: 60_000, env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
