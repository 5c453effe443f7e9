#!/usr/bin/env node
/**
 * `npm run test:e2e`: the client end-to-end suite, against real processes.
 *
 *   1. a mock Tensoras (`node mock/tensoras.mjs`) on a free port, with a random upstream key
 *   2. D1 migrations into a fresh --persist-to directory, then `wrangler dev` on a free port
 *      pointed at the mock, with a random ADMIN_TOKEN. It runs from a snapshot of the worker
 *      (src/, migrations/, wrangler.toml) in a temp directory: `wrangler dev` reloads on every
 *      source change, and a reload drops the usage records still waiting in its local queue,
 *      so an edit made during the run would otherwise fail it at random
 *   3. once /healthz answers: `vitest run --config vitest.e2e.config.ts` (test/e2e), which
 *      creates its own teams and keys through the admin API
 *   4. everything stopped (each child is its own process group, so wrangler's workerd goes
 *      too), on success, on failure and on Ctrl-C; the exit code is vitest's
 *
 * Logs of the mock and of wrangler go to .wrangler/e2e/ (gitignored) and their tails are
 * printed when something fails. Arguments after `--` go to vitest (`-- -t "curl"`).
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, rmSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, symlink } from "node:fs/promises";
import { constants, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "./lib/free-port.mjs";
import { waitForHealth } from "./lib/health.mjs";
import { liveChildren, runWrangler } from "./lib/wrangler.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const LOG_DIR = join(ROOT, ".wrangler", "e2e");
const HEALTH_TIMEOUT_MS = 120_000;
const MOCK_START_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;

/** @type {Set<import("node:child_process").ChildProcess>} */
const groups = new Set();
/** @type {string | undefined} */
let tempRoot;
/** What `wrangler dev` needs of the project; everything else stays behind. */
const WORKER_FILES = ["src", "migrations", "wrangler.toml", "package.json", "tsconfig.json"];
let stopping = false;

function log(message) {
  console.log(`[e2e] ${message}`);
}

function requireNode22() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 12)) return;
  console.error(`[e2e] Node ${process.versions.node} is too old for wrangler: run \`npm run test:e2e\` (Node 22 from devDependencies).`);
  process.exit(1);
}

/**
 * Starts a long-running child in its own process group (detached), so that stopping it
 * also stops whatever it spawned (wrangler runs two node processes and two workerds).
 * Its output goes to a log file.
 */
function startGroup(name, command, args, { cwd = ROOT, env = {} } = {}) {
  const logFile = join(LOG_DIR, `${name}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(command, args, {
    cwd,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  child.stdout.pipe(out, { end: false });
  child.stderr.pipe(out, { end: false });
  groups.add(child);
  child.on("exit", () => groups.delete(child));
  return { child, logFile };
}

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM to every group, SIGKILL to whatever is still there after a grace period. */
async function stopAll() {
  const running = [...groups];
  for (const child of running) signalGroup(child, "SIGTERM");
  for (const child of liveChildren) child.kill("SIGTERM"); // a migration still running
  const exited = Promise.all(running.map((child) => (child.exitCode !== null || child.signalCode !== null ? null : once(child, "exit"))));
  const timer = new Promise((done) => setTimeout(done, STOP_GRACE_MS, "timeout"));
  await Promise.race([exited, timer]);
  // The group leader may be gone while its children (workerd) linger: always sweep the groups.
  for (const child of running) signalGroup(child, "SIGKILL");
  if (tempRoot) await rm(tempRoot, { recursive: true, force: true }).catch(() => {});
}

function once(emitter, event) {
  return new Promise((done) => emitter.once(event, done));
}

async function tail(path, lines = 40) {
  try {
    const text = await readFile(path, "utf8");
    return text.split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Resolves with the mock's URL from its `listening on` line. */
function mockUrl(child, logFile) {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(
      () => reject(new Error(`the mock did not start within ${MOCK_START_TIMEOUT_MS} ms (see ${logFile})`)),
      MOCK_START_TIMEOUT_MS,
    );
    child.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the mock exited (code ${code}) before listening (see ${logFile})`));
    });
  });
}

function runVitest(env, extraArgs) {
  const bin = join(ROOT, "node_modules", "vitest", "vitest.mjs");
  // Own group too, so a `kill <runner pid>` stops it; stdin ignored so it never waits for keys.
  const child = spawn(process.execPath, [bin, "run", "--config", "vitest.e2e.config.ts", ...extraArgs], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, ...env },
  });
  groups.add(child);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      groups.delete(child);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

function onSignals() {
  let firstSignalAt = 0;
  for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM", "SIGHUP"])) {
    process.on(signal, () => {
      const code = 128 + constants.signals[signal];
      if (stopping) {
        // Ctrl-C reaches npm and us at once, and npm forwards it again: only a later signal means "hurry".
        if (Date.now() - firstSignalAt < 1_000) return;
        for (const child of groups) signalGroup(child, "SIGKILL");
        if (tempRoot) rmSync(tempRoot, { recursive: true, force: true });
        process.exit(code);
      }
      stopping = true;
      firstSignalAt = Date.now();
      log(`${signal}: stopping…`);
      stopAll().finally(() => process.exit(code));
    });
  }
  // Last resort if something throws past main(): never leave a group running.
  process.on("exit", () => {
    for (const child of groups) signalGroup(child, "SIGKILL");
  });
}

async function main() {
  requireNode22();
  onSignals();
  const started = Date.now();
  const extraArgs = process.argv.slice(2);
  if (extraArgs[0] === "--") extraArgs.shift();
  await mkdir(LOG_DIR, { recursive: true });
  tempRoot = await mkdtemp(join(tmpdir(), "tensoras-gateway-e2e-"));
  const [app, persistDir] = [join(tempRoot, "app"), join(tempRoot, "state")];
  for (const file of WORKER_FILES) await cp(join(ROOT, file), join(app, file), { recursive: true });
  await symlink(join(ROOT, "node_modules"), join(app, "node_modules"), "dir");
  const upstreamKey = `mock-upstream-${randomBytes(12).toString("hex")}`;
  const adminToken = `e2e-admin-${randomBytes(24).toString("hex")}`;

  const mock = startGroup("mock", process.execPath, [join(ROOT, "mock", "tensoras.mjs"), "--port", "0", "--api-key", upstreamKey]);
  // In parallel with the mock's start; its failure is awaited below, never left unhandled.
  const migrated = runWrangler(app, ["d1", "migrations", "apply", "DB", "--local", "--persist-to", persistDir]).then(
    () => null,
    (error) => error,
  );
  const upstreamUrl = await mockUrl(mock.child, mock.logFile);
  log(`mock Tensoras at ${upstreamUrl}`);
  const migrationError = await migrated;
  if (migrationError) throw migrationError;
  if (stopping) return;

  const [port, inspectorPort] = [await freePort(), await freePort()];
  // wrangler runs with the Node running this script (Node 22 under npm run / npx).
  const wrangler = startGroup(
    "wrangler",
    process.execPath,
    [
      join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"),
      "dev",
      ...["--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort)],
      ...["--persist-to", persistDir, "--show-interactive-dev-session=false"],
      ...["--var", `TENSORAS_BASE_URL:${upstreamUrl}`, "--var", `TENSORAS_API_KEY:${upstreamKey}`, "--var", `ADMIN_TOKEN:${adminToken}`],
    ],
    { cwd: app, env: { WRANGLER_SEND_METRICS: "false" } },
  );
  const gatewayUrl = `http://127.0.0.1:${port}`;
  if (
    !(await waitForHealth(`${gatewayUrl}/healthz`, wrangler.child, {
      timeoutMs: HEALTH_TIMEOUT_MS,
      stopped: () => stopping,
      intervalMs: 250,
    }))
  ) {
    if (stopping) return;
    console.error(`[e2e] ${gatewayUrl}/healthz never answered 200. wrangler's log (${wrangler.logFile}):\n${await tail(wrangler.logFile)}`);
    await stopAll();
    process.exit(1);
  }
  log(`gateway (wrangler dev) at ${gatewayUrl}, ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const code = await runVitest(
    {
      E2E_GATEWAY_URL: gatewayUrl,
      E2E_ADMIN_TOKEN: adminToken,
      E2E_MOCK_URL: upstreamUrl,
    },
    extraArgs,
  );
  if (stopping) return;
  const reloads = ((await readFile(wrangler.logFile, "utf8").catch(() => "")).match(/Reloading local server/g) ?? []).length;
  if (reloads > 0)
    console.error(
      `[e2e] warning: wrangler dev reloaded the worker ${reloads} time(s) during the run; queued usage records may have been lost`,
    );
  if (code !== 0) {
    console.error(`[e2e] vitest exited with ${code}. Last lines of ${wrangler.logFile}:\n${await tail(wrangler.logFile)}`);
    console.error(`[e2e] mock log: ${mock.logFile}`);
  }
  await stopAll();
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exit(code);
}

main().catch(async (error) => {
  console.error(`[e2e] ${error instanceof Error ? error.message : error}`);
  await stopAll();
  process.exit(1);
});
