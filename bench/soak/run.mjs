// npm run soak [-- --quick] [--requests N] [--seed S] [--concurrency C] [--interrupted-after S] [--keep]
//
// Billing truth under faults (issue 12): the gateway in workerd (Miniflare's API) behind
// bindings that fail at seeded rates (bench/soak/faulty-worker.ts), the mock Tensoras and
// the load generator each in their own process, a seeded plan of streamed and plain
// requests with client aborts, upstream drops, 5xx and error events, and one SIGKILL of
// the runtime mid-run. At the end the ledger is compared with the mock's own log by
// request id, every output of the run is scanned for secrets, and the run exits non-zero
// if a target is missed. See bench/README.md ("Soak") for what it injects and why.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { buildFaultyGateway } from "../lib/build.mjs";
import { applyMigrations } from "../lib/gateway-db.mjs";
import { cleanupAll, gatewayVars, onCleanup, runMain, startLoader, startMock } from "../lib/processes.mjs";
import { machine, writeResults } from "../lib/report.mjs";
import { compareLedger, compareLongStreams } from "./compare.mjs";
import { finishLedger, mintKeys, readOutputs } from "./end.mjs";
import { startSoakGateway } from "./gateway.mjs";
import { killAndRestart } from "./kill.mjs";
import { logSink } from "./logs.mjs";
import { makePlan } from "./plan.mjs";
import { printReport, verdict } from "./report.mjs";
import { scanOutputs } from "./scan-outputs.mjs";
import { SecretScan } from "./secrets.mjs";
import { compareCsv, compareRollup } from "./totals.mjs";

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    requests: { type: "string" },
    seed: { type: "string", default: "1" },
    concurrency: { type: "string", default: "50" },
    "interrupted-after": { type: "string", default: "20" },
    keep: { type: "boolean", default: false },
  },
});

function intOption(name, value, min) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: an integer of at least ${min}, not ${value}`);
  return n;
}

const QUICK = opts.quick;
const REQUESTS = intOption("requests", opts.requests ?? (QUICK ? 1000 : 10_000), 100);
const SEED = intOption("seed", opts.seed, 0);
const CONCURRENCY = intOption("concurrency", opts.concurrency, 1);
const INTERRUPTED_AFTER_S = intOption("interrupted-after", opts["interrupted-after"], 5);
/** The runtime is killed once this share of the plan is done. */
const RESTART_AT = 0.4;
/** Streams that outlive INTERRUPTED_AFTER_SECONDS, started on the restarted runtime. */
const LONG_STREAMS = Math.min(QUICK ? 3 : 5, Math.max(1, Math.floor(REQUESTS / 200)));
const LONG_SECONDS = INTERRUPTED_AFTER_S + 10;
/** Requests started just before the kill (slow streams, answers not yet begun): in flight when it comes. */
const KILL_COHORT = Math.min(QUICK ? 21 : 45, Math.max(3, Math.floor(REQUESTS / 20)));
/** The sweep runs this often during the load, as the cron would (much more often). */
const SWEEP_EVERY_MS = 3_000;
/** A request that ended this shortly before the kill may have no durable final record yet. */
const KILL_GRACE_MS = 1_500;
/** The mock keeps its last 10,000 requests: read its log at least this often. */
const MOCK_POLL_EVERY = 3_000;
const KEYS_PER_TEAM = 2;
const TEAMS = 3;
/** Bounds the end (queue drain, sweep) and the whole run: a hang fails the run, it never blocks CI. */
const END_TIMEOUT_MS = Math.max(120_000, REQUESTS * 30);
const WATCHDOG_MS = Math.max(600_000, REQUESTS * 200);

/**
 * Fault rates of the binding wrapper (faulty-worker.ts). Each is low enough that the
 * gateway's own retries succeed: a message needs 10 failed deliveries in a row to be
 * dead-lettered, and a dead letter is replayed at the end anyway.
 */
const FAULTS = {
  seed: SEED,
  queueSendDead: 0.02,
  queueSendTransient: 0.05,
  queueSendAmbiguous: 0.02,
  consumerCrash: 0.03,
  ackLost: 0.03,
  d1FailBefore: 0.08,
  d1FailAfter: 0.02,
  retryDelayScale: 0.1,
};

const base62 = (bytes) =>
  [...randomBytes(bytes)].map((b) => "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"[b % 62]).join("");

async function main() {
  const startedAt = Date.now();
  const upstreamKey = `sk-soak-upstream-${base62(32)}`;
  const adminToken = `soak-admin-${base62(32)}`;
  const persistDir = mkdtempSync(path.join(os.tmpdir(), "tensoras-soak-"));
  if (!opts.keep) onCleanup(() => rmSync(persistDir, { recursive: true, force: true }));

  const { logs, entered, onLog, onMiniflareLog, attach } = logSink();

  const mock = await startMock({ apiKey: upstreamKey });
  const script = await buildFaultyGateway();
  const vars = { ...gatewayVars(mock.url, upstreamKey), ADMIN_TOKEN: adminToken, INTERRUPTED_AFTER_SECONDS: String(INTERRUPTED_AFTER_S) };
  const start = () => startSoakGateway({ script, persistDir, vars, faults: FAULTS, onLog, onMiniflareLog });
  let gw = await start();
  await applyMigrations(gw.db);
  const admin = { origin: () => gw.origin, token: adminToken, responses: [] };
  const keys = await mintKeys(admin, TEAMS, KEYS_PER_TEAM);

  const secrets = [
    { name: "upstream key", kind: "upstream key", value: upstreamKey },
    { name: "admin token", kind: "admin token", value: adminToken },
    ...keys.map((k, n) => ({ name: `gw key ${n + 1}`, kind: "gateway key", value: k.key })),
  ];
  const scan = new SecretScan(secrets);
  for (const [n, k] of keys.entries()) scan.expect(k.mintedIn, `gw key ${n + 1}`, 1);
  attach(scan);

  const plan = makePlan({
    seed: SEED,
    count: REQUESTS,
    keyCount: keys.length,
    longAt: Array.from({ length: LONG_STREAMS }, (_, n) => Math.floor(REQUESTS * 0.6) + n),
    longSeconds: LONG_SECONDS,
    killAt: Array.from({ length: KILL_COHORT }, (_, n) => Math.floor(REQUESTS * 0.4) + n),
  });
  const loader = startLoader("bench/soak/load.mjs");
  // Miniflare's own SIGINT/SIGTERM hook exits the process at once, before the async cleanup
  // has stopped anything: stop our children and drop the D1 copy synchronously on exit too.
  process.on("exit", () => {
    for (const [pid, marker] of [
      [loader.pid, "bench/soak/load.mjs"],
      [mock.pid, upstreamKey],
    ]) {
      try {
        // Only while the pid is still ours (a pid is reused once its process is gone).
        if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker)) process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    if (!opts.keep) rmSync(persistDir, { recursive: true, force: true });
  });
  console.error(
    `soak: ${REQUESTS} requests, seed ${SEED}, ${CONCURRENCY} concurrent · mock pid ${mock.pid} · load pid ${loader.pid} · workerd pid ${gw.pid} · D1 in ${persistDir}`,
  );

  const mockLog = new Map();
  const pollMock = async () => {
    for (const m of await mock.requests()) mockLog.set(m.mockId, m);
  };
  const faultTotals = {};
  const addStats = (s) => {
    for (const [k, v] of Object.entries(s))
      if (typeof v === "number" && k !== "outstanding" && k !== "sendsInFlight") faultTotals[k] = (faultTotals[k] ?? 0) + v;
  };
  const kills = [];
  const interruptedMidRun = new Set();
  const sweep = async () => {
    try {
      await gw.scheduled();
    } catch {
      // an injected D1 failure: the next run picks the notes up
    }
    const { results } = await gw.db.prepare("SELECT request_id FROM usage_events WHERE outcome = 'interrupted'").all();
    for (const r of results) interruptedMidRun.add(r.request_id);
  };

  async function restart() {
    const restarted = await killAndRestart({
      loader,
      gw,
      start,
      beforeKill: async () => addStats(await gw.stats()),
      graceMs: KILL_GRACE_MS,
    });
    gw = restarted.gw;
    kills.push(restarted.kill);
    const k = restarted.kill;
    console.error(
      `soak: killed the runtime with ${k.inFlight} requests in flight, ${k.notesAtKill} started notes in D1 (queue drained in ${k.drainMs} ms); restarted`,
    );
  }

  const load = loader.run({ type: "run", plan, keys: keys.map((k) => k.key), concurrency: CONCURRENCY, secrets, origin: gw.origin });
  let loadDone = false;
  load.finally(() => {
    loadDone = true;
  });
  let lastSweep = Date.now();
  let lastPoll = 0;
  let lastLine = 0;
  while (!loadDone) {
    await Promise.race([load.catch(() => {}), sleep(250)]);
    if (loadDone) break;
    const status = await loader.run({ type: "status" });
    if (kills.length === 0 && status.done >= RESTART_AT * (REQUESTS - KILL_COHORT - LONG_STREAMS)) await restart();
    if (status.done - lastPoll >= MOCK_POLL_EVERY) {
      lastPoll = status.done;
      await pollMock();
    }
    if (Date.now() - lastSweep >= SWEEP_EVERY_MS) {
      lastSweep = Date.now();
      await sweep();
    }
    if (Date.now() - lastLine >= 5_000) {
      lastLine = Date.now();
      console.error(
        `soak: ${status.done}/${REQUESTS} done, ${status.inFlight} in flight, ${Math.round((Date.now() - startedAt) / 1000)} s`,
      );
    }
  }
  const { results: clients, tally } = await load;
  scan.merge("client responses (headers, bodies)", tally);
  await pollMock();

  const end = await finishLedger({ gw, admin, interruptedAfterS: INTERRUPTED_AFTER_S, sweep, timeoutMs: END_TIMEOUT_MS });
  addStats(await gw.stats());
  const outputs = await readOutputs({ gw, admin });
  const mockRecords = [...mockLog.values()];
  const wrongUpstreamAuth = scanOutputs({ scan, admin, outputs, deadLetters: end.deadLetters, mockRecords, upstreamKey });

  const ledger = compareLedger({ clients, mock: mockRecords, listed: outputs.listed, direct: outputs.direct, kills, entered });
  const csv = compareCsv(outputs.csv, outputs.direct);
  const rollup = compareRollup(outputs.rollup, outputs.direct);
  const longStreams = compareLongStreams({ plan, clients, direct: outputs.direct, interruptedMidRun });
  const secretReport = { ...scan.report(), wrongUpstreamAuth: wrongUpstreamAuth.length };
  const v = verdict({ ledger, csv, rollup, end, secrets: secretReport, longStreams, logs, faults: faultTotals, kills, clients });
  const run = { requests: REQUESTS, seed: SEED, concurrency: CONCURRENCY, durationS: (Date.now() - startedAt) / 1000 };
  printReport({ run, ledger, verdict: v, faults: faultTotals, secrets: secretReport, kills, logs });
  const out = {
    kind: "soak",
    at: new Date(startedAt).toISOString(),
    durationS: run.durationS,
    quick: QUICK,
    ok: v.ok,
    machine: machine(),
    params: {
      ...run,
      interruptedAfterS: INTERRUPTED_AFTER_S,
      restartAt: RESTART_AT,
      longStreams: LONG_STREAMS,
      longSeconds: LONG_SECONDS,
      faults: FAULTS,
    },
    verdict: v,
    kills,
    faults: faultTotals,
    end: { ...end, deadLetters: end.deadLetters.length },
    logs,
    ledger,
    csv,
    rollup,
    longStreams,
    secrets: secretReport,
    clientErrors: clients.filter((c) => c?.error && !c.inFlightAtKill).map((c) => ({ i: c.i, error: c.error, requestId: c.requestId })),
  };
  console.log(`\n${v.ok ? "PASS" : "FAIL"} · JSON: ${writeResults("soak-", out)} (${Math.round(run.durationS)} s)`);
  if (!v.ok) process.exitCode = 1;
}

const watchdog = setTimeout(async () => {
  console.error(`soak: watchdog: the run took longer than ${WATCHDOG_MS / 1000} s; stopping every process`);
  await cleanupAll();
  process.exit(3);
}, WATCHDOG_MS);
watchdog.unref();
await runMain(main);
