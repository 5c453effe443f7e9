/**
 * A `wrangler dev` that a test may kill (test/e2e/kill-restart.test.ts). The shared
 * gateway of scripts/e2e.mjs serves every other file, so a test that must kill its
 * gateway gets one of its own: its own snapshot of the worker, its own --persist-to
 * directory (kept across restarts: that is the state a restart comes back to), its
 * own port, `--test-scheduled` for /__scheduled, and its own process group, so that
 * one signal reaches wrangler and the workerd processes it spawned.
 *
 * Node built-ins and the scripts' own helpers only (scripts/lib). Typed for the
 * TypeScript tests by gateway-process.d.mts beside this file.
 */
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { cp, mkdir, mkdtemp, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../scripts/lib/free-port.mjs";
import { waitForHealth } from "../../../scripts/lib/health.mjs";
import { runWrangler } from "../../../scripts/lib/wrangler.mjs";
import { alive, ownedResources, signalGroup } from "./process-groups.mjs";

export { startMockTensoras } from "../../../mock/tensoras.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const LOG_DIR = join(ROOT, ".wrangler", "e2e");
/** What `wrangler dev` needs of the project (as in scripts/e2e.mjs). */
const WORKER_FILES = ["src", "migrations", "wrangler.toml", "package.json", "tsconfig.json"];
const HEALTH_TIMEOUT_MS = 60_000;
const GROUP_POLL_MS = 50;

// Process group ids still possibly alive, and temp copies: no wrangler outlives the test process.
const { groups, tempDirs, removeTempDirs } = ownedResources();
let starts = 0;

/**
 * A snapshot of the worker in a temp directory, with the D1 migrations applied to
 * its own persist directory. A snapshot, because `wrangler dev` reloads on every
 * source change and a reload would be a restart this test did not ask for.
 */
export async function prepareGatewayState() {
  const root = await mkdtemp(join(tmpdir(), "tensoras-gateway-kill-"));
  tempDirs.add(root);
  const [app, persistDir] = [join(root, "app"), join(root, "state")];
  for (const file of WORKER_FILES) await cp(join(ROOT, file), join(app, file), { recursive: true });
  await symlink(join(ROOT, "node_modules"), join(app, "node_modules"), "dir");
  await runWrangler(app, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir]);
  return { app, persistDir };
}

/** Waits until no process of the group is left; false if some still are after `timeoutMs`. */
async function groupGone(pgid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (alive(-pgid)) {
    if (Date.now() > deadline) return false;
    await sleep(GROUP_POLL_MS);
  }
  groups.delete(pgid);
  return true;
}

/**
 * Starts `wrangler dev` on `state` in a new process group and waits for /healthz.
 * @param {{ app: string, persistDir: string }} state
 * @param {Record<string, string>} vars passed as --var NAME:VALUE
 */
export async function startGateway(state, vars) {
  const [port, inspectorPort] = [await freePort(), await freePort()];
  await mkdir(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `kill-restart-${++starts}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"),
      "dev",
      ...["--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort)],
      ...["--persist-to", state.persistDir, "--show-interactive-dev-session=false", "--test-scheduled"],
      ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
    ],
    { cwd: state.app, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  const pgid = /** @type {number} */ (child.pid);
  groups.add(pgid);
  const url = `http://127.0.0.1:${port}`;
  if (!(await waitForHealth(`${url}/healthz`, child, { timeoutMs: HEALTH_TIMEOUT_MS, intervalMs: 200 }))) {
    signalGroup(pgid, "SIGKILL");
    throw new Error(`wrangler dev never answered ${url}/healthz (log: ${logFile})`);
  }

  /**
   * Sends `signal` to the whole group and waits until every process of it is gone.
   * Whatever still runs `graceMs` after a gentler signal is SIGKILLed, and reported.
   */
  async function stop(signal, graceMs = 10_000) {
    signalGroup(pgid, signal);
    if (await groupGone(pgid, graceMs)) return { signal, forced: false };
    signalGroup(pgid, "SIGKILL");
    await groupGone(pgid, 5_000);
    return { signal, forced: true };
  }

  return { url, pid: pgid, logFile, stop };
}

/** SIGKILLs every group this module started and removes its temp directories: for afterAll, pass or fail. */
export async function cleanUpGateways() {
  for (const pgid of groups) signalGroup(pgid, "SIGKILL");
  await Promise.all([...groups].map((pgid) => groupGone(pgid, 5_000)));
  await removeTempDirs();
}
