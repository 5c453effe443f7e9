/**
 * How `npm run dev` stops everything it started, however it is stopped.
 *
 * What goes wrong without this (seen on Linux, npm 11):
 * - `kill <npm pid>`: npm forwards SIGTERM to the `sh -c` it runs the script in, and sh
 *   dies without passing it on, so dev.mjs, wrangler and workerd live on, holding the port.
 * - SIGHUP passed on to wrangler: its bin/wrangler.js wrapper forwards only SIGINT and
 *   SIGTERM, so it dies and the real CLI and its workerd processes are orphaned.
 *
 * So: wrangler runs in a process group of its own (POSIX), which is signalled as a whole
 * with SIGTERM whatever signal reached us, then SIGKILLed after a grace period; and a
 * watch on the processes that launched us (sh, npm) stops everything when they are gone.
 * A group of its own cannot read the terminal, so wrangler's hotkeys are off.
 */
import { execFileSync } from "node:child_process";

/** Process groups are POSIX; on Windows a child is signalled alone. */
export const OWN_GROUP = process.platform !== "win32";
/** workerd flushes local storage on SIGTERM; past this it is killed. */
export const STOP_GRACE_MS = 5_000;
const POLL_MS = 100;
const LAUNCHER_POLL_MS = 500;

/** Node has not seen the child exit: its pid is still ours (running, or not yet reaped). */
function unreaped(child) {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/**
 * Sends `name` (0: only checks) to `child`'s group, which outlives the wrangler wrapper: what it
 * leaves behind is still in it. A child spawned without a group of its own gets it alone.
 * @returns {boolean} whether anything received it
 */
function signal(child, name) {
  if (child.pid === undefined) return false;
  try {
    if (OWN_GROUP) {
      process.kill(-child.pid, name);
      return true;
    }
  } catch {
    // no such group: gone, or not a group leader
  }
  if (!unreaped(child)) return false;
  try {
    process.kill(child.pid, name);
    return true;
  } catch {
    return false;
  }
}

function isRunning(child) {
  return signal(child, 0);
}

/** Options for a child that `stopChildren` must be able to stop with everything it spawns. */
export function groupOptions() {
  return { detached: OWN_GROUP };
}

/**
 * SIGTERM to every child's group (wrangler shuts workerd down on it), then SIGKILL to the
 * groups still alive after `graceMs`. Resolves once none is left.
 * @param {Iterable<import("node:child_process").ChildProcess>} children
 */
export async function stopChildren(children, graceMs = STOP_GRACE_MS) {
  const all = [...children];
  for (const child of all) signal(child, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (all.some(isRunning) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  for (const child of all.filter(isRunning)) signal(child, "SIGKILL");
}

/** SIGKILL at once, for a second Ctrl-C: something hangs. */
export function killChildren(children) {
  for (const child of children) signal(child, "SIGKILL");
}

/** The npm above us when npm ran us through `sh -c` (npm's script shell on POSIX), else undefined. */
function npmAboveShell(parent) {
  try {
    const [ppid, command] = execFileSync("ps", ["-o", "ppid=", "-o", "comm=", "-p", String(parent)], { encoding: "utf8" })
      .trim()
      .split(/\s+/);
    const npm = Number(ppid);
    return /^-?(sh|dash|bash)$/.test(command ?? "") && Number.isInteger(npm) && npm > 1 ? npm : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === "EPERM";
  }
}

/**
 * Calls `onGone` once the process that started us, or under `npm run` the npm above the
 * `sh -c` it starts (a SIGKILLed npm leaves that sh running), is gone.
 */
export function watchLaunchers(onGone) {
  const parent = process.ppid;
  const npm = OWN_GROUP && process.env.npm_lifecycle_event ? npmAboveShell(parent) : undefined;
  const timer = setInterval(function checkLaunchers() {
    if (process.ppid === parent && (npm === undefined || isAlive(npm))) return;
    clearInterval(timer);
    onGone();
  }, LAUNCHER_POLL_MS);
  timer.unref();
}
