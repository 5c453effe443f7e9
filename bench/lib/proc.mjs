// Reading the workerd process from /proc: CPU summed over all its threads, RSS.
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** PIDs of the direct children of `parent` whose command name starts with `name`. */
export function childPids(parent, name) {
  const out = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (ppid === parent && comm.startsWith(name)) out.push(Number(entry));
    } catch {
      // the process went away while we looked
    }
  }
  return out;
}

/** Finds the workerd Miniflare started (a child of this Node process). */
export function findWorkerdPid() {
  const pids = childPids(process.pid, "workerd");
  if (pids.length !== 1) throw new Error(`expected one workerd child of ${process.pid}, found ${JSON.stringify(pids)}`);
  return pids[0];
}

/**
 * CPU time of a process in ms, two ways:
 *  - schedstat: nanosecond run time summed over the threads alive now
 *  - stat: utime+stime of the whole process (10 ms ticks), which also counts threads that exited
 */
export function cpuSample(pid) {
  let schedNs = 0;
  let threads = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      schedNs += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
      threads++;
    } catch {
      // thread exited between readdir and read
    }
  }
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return { schedMs: schedNs / 1e6, statMs: (ticks * 1000) / TICKS_PER_SECOND, threads, at: performance.now() };
}

export function cpuDelta(before, after) {
  return {
    schedMs: after.schedMs - before.schedMs,
    statMs: after.statMs - before.statMs,
    wallMs: after.at - before.at,
    threadsChanged: before.threads !== after.threads,
  };
}

/** Resident set size in MB (VmRSS) and its high-water mark (VmHWM). */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 };
}

/** Run time and run-queue wait (ns, schedstat) of each thread of `pid` alive now, by thread id, with its name. */
export function threadSample(pid) {
  const threads = new Map();
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const [runNs, waitNs] = readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ").map(Number);
      const comm = readFileSync(`/proc/${pid}/task/${task}/comm`, "utf8").trim();
      threads.set(task, { comm, runNs, waitNs });
    } catch {
      // thread exited between readdir and read
    }
  }
  return { threads, at: performance.now() };
}

/**
 * The busiest thread between two samples: its name, its share of one core over the
 * interval, and the share it spent runnable but waiting for a core (other processes).
 */
export function busiestThread(before, after) {
  const wallNs = (after.at - before.at) * 1e6;
  let best = { comm: null, coreShare: 0, waitShare: 0 };
  for (const [tid, t] of after.threads) {
    const was = before.threads.get(tid);
    const share = (t.runNs - (was?.runNs ?? 0)) / wallNs;
    if (share > best.coreShare) best = { tid, comm: t.comm, coreShare: share, waitShare: (t.waitNs - (was?.waitNs ?? 0)) / wallNs };
  }
  return best;
}
