// The soak's gateway: bench/soak/faulty-worker.ts in workerd through Miniflare's API, with
// D1 persisted to a directory so that a runtime killed with SIGKILL restarts on the same
// ledger. The queue broker is Miniflare's, in memory (see run.mjs for what that means).
import { setTimeout as sleep } from "node:timers/promises";
import { findWorkerdPid } from "../lib/proc.mjs";
import { BENCH_WORKER, startMiniflare } from "../lib/processes.mjs";

export const USAGE_QUEUE = "tensoras-usage";
export const USAGE_DLQ = "tensoras-usage-dlq";
const CRON = "*/5 * * * *";

/**
 * Starts one runtime. `vars` are the gateway's vars and secrets, `faults` the wrapper's
 * rates (SOAK_FAULTS), `onLog` gets every workerd log line, `onMiniflareLog` Miniflare's.
 */
export async function startSoakGateway({ script, persistDir, vars, faults, onLog, onMiniflareLog = () => {}, retryDelaySeconds = 1 }) {
  const { Log, LogLevel } = await import("miniflare");
  // Miniflare's own lines (queue batches, dead-lettering, runtime messages) go to the scan too; warnings still print.
  class CapturingLog extends Log {
    logWithLevel(level, message) {
      onMiniflareLog(level, String(message));
      if (level <= LogLevel.WARN) super.logWithLevel(level, message);
    }
  }
  const mf = await startMiniflare({
    log: new CapturingLog(LogLevel.DEBUG),
    cf: false,
    resourcePersistencePath: persistDir,
    handleStructuredLogs: onLog,
    workers: [
      {
        ...BENCH_WORKER,
        name: "gateway",
        script,
        bindings: { ...vars, SOAK_FAULTS: JSON.stringify(faults) },
        d1Databases: { DB: "tensoras-gateway" },
        // As wrangler.toml; the soak's keys carry no limits, so the object is not on their path.
        durableObjects: { TEAM_LIMITS: { className: "TeamLimits", useSQLite: true } },
        queueProducers: { USAGE_QUEUE: { queueName: USAGE_QUEUE } },
        // As wrangler.toml, but a retry waits `retryDelaySeconds` (the wrapper scales the
        // consumer's own backoff likewise), so that a run takes minutes, not hours.
        queueConsumers: {
          [USAGE_QUEUE]: {
            maxBatchSize: 100,
            maxBatchTimeout: 1,
            maxRetries: 10,
            retryDelay: retryDelaySeconds,
            deadLetterQueue: USAGE_DLQ,
          },
          [USAGE_DLQ]: { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 20, retryDelay: retryDelaySeconds },
        },
      },
    ],
  });
  const origin = new URL(await mf.unsafeGetDirectURL("gateway")).origin;
  const pid = findWorkerdPid();
  const db = await mf.getD1Database("DB", "gateway");
  let alive = true;

  async function soakJson(path, init) {
    const res = await fetch(`${origin}${path}`, init);
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json();
  }

  return {
    origin,
    pid,
    db,
    get alive() {
      return alive;
    },
    /** What the wrapper injected so far in this runtime, and the messages still in the queue. */
    stats: () => soakJson("/__soak/stats"),
    setFaults: (change) => soakJson("/__soak/faults", { method: "POST", body: JSON.stringify(change) }),
    /** Runs the gateway's Cron Trigger handler once (the ledger's sweep), as the cron would. */
    async scheduled() {
      const worker = await mf.getWorker("gateway");
      return worker.scheduled({ cron: CRON, scheduledTime: new Date() });
    },
    /**
     * Waits until every message enqueued has been acked (delivered, written, or parked
     * by the dead-letter consumer) and no send is under way. Returns the wait in ms.
     */
    async drainQueue(timeoutMs) {
      const start = Date.now();
      for (;;) {
        const s = await soakJson("/__soak/stats");
        if (s.outstanding === 0 && s.sendsInFlight === 0) return Date.now() - start;
        if (Date.now() - start > timeoutMs)
          throw new Error(`queue not drained after ${timeoutMs} ms: ${s.outstanding} messages outstanding`);
        await sleep(200);
      }
    },
    /** SIGKILL: workerd gets no chance to finish anything (no waitUntil, no flush). */
    async kill() {
      alive = false;
      process.kill(pid, "SIGKILL");
      // Dispose at once, before Miniflare sees the exit and restarts the runtime on its own.
      await mf.dispose().catch(() => {});
    },
    async close() {
      if (!alive) return;
      alive = false;
      await mf.dispose();
    },
  };
}
