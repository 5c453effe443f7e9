/**
 * What the e2e helpers that start processes of their own (gateway-process.mjs, dev-process.mjs)
 * share: signalling a process group, telling whether a process or group is alive, and the last
 * resort should the test process end without its afterAll (no group, no temp copy outlives it).
 */
import { rmSync } from "node:fs";
import { rm } from "node:fs/promises";

export function signalGroup(pgid, signal) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}

/** True while the process (`pid`), or any process of a group (`-pgid`), exists (signal 0 only checks). */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error?.code === "EPERM";
  }
}

/**
 * The process groups and temp directories one helper module owns: SIGKILLed and removed when
 * the test process exits, whatever happened; `removeTempDirs` for its afterAll.
 */
export function ownedResources() {
  /** @type {Set<number>} */
  const groups = new Set();
  /** @type {Set<string>} */
  const tempDirs = new Set();
  process.on("exit", () => {
    for (const pgid of groups) signalGroup(pgid, "SIGKILL");
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
  async function removeTempDirs() {
    for (const dir of tempDirs) await rm(dir, { recursive: true, force: true }).catch(() => {});
    tempDirs.clear();
  }
  return { groups, tempDirs, removeTempDirs };
}
