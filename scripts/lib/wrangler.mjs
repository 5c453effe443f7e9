/**
 * Runs the project's own wrangler (node_modules) with the Node running this script,
 * which under `npm run` is the Node 22 from devDependencies (wrangler needs >= 22.12).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";

/** @type {Set<import("node:child_process").ChildProcess>} */
export const liveChildren = new Set();

/** Spawns `wrangler <args>` and tracks the child until it exits. */
export function spawnWrangler(rootDir, args, options = {}) {
  const bin = join(rootDir, "node_modules", "wrangler", "bin", "wrangler.js");
  const child = spawn(process.execPath, [bin, ...args], { cwd: rootDir, ...options });
  liveChildren.add(child);
  child.on("exit", () => liveChildren.delete(child));
  return child;
}

/**
 * Runs a short wrangler command to completion, its stdout and stderr captured apart. stdin
 * is not a TTY, so confirmation prompts take their default ("yes") instead of waiting for a
 * keypress.
 * @returns {Promise<{ stdout: string, stderr: string, output: string }>} `output`: both, interleaved
 */
function captureWrangler(rootDir, args) {
  return new Promise((resolve, reject) => {
    const child = spawnWrangler(rootDir, args, { stdio: ["ignore", "pipe", "pipe"] });
    const captured = { stdout: "", stderr: "", output: "" };
    child.stdout?.on("data", (chunk) => {
      captured.stdout += chunk;
      captured.output += chunk;
    });
    child.stderr?.on("data", (chunk) => {
      captured.stderr += chunk;
      captured.output += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (code === 0) resolve(captured);
      else reject(new Error(`wrangler ${args.slice(0, 3).join(" ")} failed (${signal ?? `exit ${code}`}):\n${captured.output}`));
    });
  });
}

/**
 * Runs a short wrangler command with its output captured (shown only on failure).
 * @returns {Promise<string>} the combined output
 */
export async function runWrangler(rootDir, args) {
  return (await captureWrangler(rootDir, args)).output;
}

/**
 * The same, resolving with stdout alone (JSON with --json): stderr, where wrangler's warnings
 * go, is shown only on failure.
 * @returns {Promise<string>}
 */
export async function runWranglerStdout(rootDir, args) {
  return (await captureWrangler(rootDir, args)).stdout;
}
