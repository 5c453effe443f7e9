/**
 * `npm run dev` as a user starts it, for test/e2e/dev-*.test.ts: run by npm (so with
 * npm's `sh -c` between npm and scripts/dev.mjs), from a copy of the project in a temp
 * directory (its own .dev.vars, demo key and .wrangler/, nothing of the checkout touched),
 * on a free port with its own DEV_PERSIST_TO. npm is started in a process group of its
 * own, so the test can tell its processes from everything else on the machine.
 *
 * Node built-ins and the scripts' own helpers only. Typed by dev-process.d.mts.
 */
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { cp, mkdir, mkdtemp, symlink } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { freePort } from "../../../scripts/lib/free-port.mjs";
import { alive, ownedResources, signalGroup } from "./process-groups.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const LOG_DIR = join(ROOT, ".wrangler", "e2e");
/** What `npm run dev` needs of the project. */
const DEV_FILES = ["scripts", "mock", "src", "migrations", "wrangler.toml", "package.json", "tsconfig.json", ".dev.vars.example"];
const POLL_MS = 100;

// Every process group seen under an `npm run dev` of this module, and its temp copies.
const { groups, tempDirs, removeTempDirs } = ownedResources();
let starts = 0;

/** Every process below `rootPid` (itself included), from one `ps` of the whole machine. */
export function processTree(rootPid) {
  const rows = execFileSync("ps", ["-A", "-o", "pid=", "-o", "ppid=", "-o", "pgid=", "-o", "args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map(([, pid, ppid, pgid, command]) => ({ pid: Number(pid), ppid: Number(ppid), pgid: Number(pgid), command }));
  const tree = rows.filter((row) => row.pid === rootPid);
  for (let i = 0; i < tree.length; i++) tree.push(...rows.filter((row) => row.ppid === tree[i].pid));
  for (const row of tree) groups.add(row.pgid);
  return tree;
}

/**
 * The processes of `processes` still alive, or in any of their groups, once they are all
 * gone or `timeoutMs` passed.
 */
export async function survivors(processes, timeoutMs) {
  const pgids = [...new Set(processes.map((row) => row.pgid))];
  const left = () => [
    ...processes.filter((row) => alive(row.pid)).map((row) => `${row.pid} ${row.command}`),
    ...pgids.filter((pgid) => alive(-pgid)).map((pgid) => `process group ${pgid}`),
  ];
  const deadline = Date.now() + timeoutMs;
  while (left().length > 0 && Date.now() < deadline) await sleep(POLL_MS);
  // A group seen gone is never signalled again: its id may be reused by now.
  for (const pgid of pgids) if (!alive(-pgid)) groups.delete(pgid);
  return left();
}

/** Whether nothing listens on 127.0.0.1:`port` (the gateway's --ip). */
export function portIsFree(port) {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** A fresh copy of the project, with node_modules linked; its state goes beside it. */
async function copyProject() {
  const root = await mkdtemp(join(tmpdir(), "tensoras-gateway-dev-"));
  tempDirs.add(root);
  const app = join(root, "app");
  for (const file of DEV_FILES) await cp(join(ROOT, file), join(app, file), { recursive: true });
  await symlink(join(ROOT, "node_modules"), join(app, "node_modules"), "dir");
  return root;
}

/**
 * Starts `npm run dev` and resolves once its /healthz answers 200. With `again` (a stopped
 * start), in the same copy with the same state: a restart as a user makes it.
 */
export async function startDev(timeoutMs, { again, env = {} } = {}) {
  const root = again ? again.root : await copyProject();
  const app = join(root, "app");
  const port = await freePort();
  await mkdir(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `dev-${process.pid}-${++starts}.log`);
  const out = createWriteStream(logFile);
  const npm = spawn("npm", ["run", "dev"], {
    cwd: app,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PORT: String(port), DEV_PERSIST_TO: join(root, "state"), WRANGLER_SEND_METRICS: "false", ...env },
  });
  npm.stdout.pipe(out, { end: false });
  npm.stderr.pipe(out, { end: false });
  const pid = /** @type {number} */ (npm.pid);
  groups.add(pid);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && npm.exitCode === null) {
    const status = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return { pid, port, url, logFile, root, app };
    await sleep(300);
  }
  throw new Error(`npm run dev never answered ${url}/healthz (log: ${logFile})`);
}

/** SIGKILLs whatever of this module's processes is left and removes the temp copies. */
export async function cleanUpDev() {
  for (const pgid of groups) signalGroup(pgid, "SIGKILL");
  groups.clear();
  await removeTempDirs();
}
