// npm run bench:limits [-- --quick] [--rounds N] [--seconds S] [--window-seconds S] [--requests N] [--storage disk,memory]
//
// The ceiling of one team's TeamLimits object (issue 13: "document the ceiling per team"),
// two ways, in one workerd started through Miniflare's API:
//  1. direct: a driver worker (bench/workers/limits-driver.ts) calls reserve() (and settle(),
//     as the gateway does) on one team's object from N concurrent callers, in another
//     isolate than the object's, and counts admitted reservations per second;
//  2. through the gateway: many concurrent small JSON requests of one budgeted team
//     against the mock, beside the same requests with a key without a budget.
// Once per storage: Miniflare keeps Durable Object (and D1) SQLite files under its temporary
// directory, `disk` the default (os.tmpdir(), on this machine's disk), `memory` on /dev/shm,
// which separates what a reservation costs in CPU from the wait for its write to be synced.
// Figures for reading only: it exits non-zero only when the harness breaks.
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { buildGateway, buildLimitsDriver } from "./lib/build.mjs";
import { prepareGatewayDb, seedBudgetedTeam } from "./lib/gateway-db.mjs";
import { directLabel, printLimitsReport, summarizeLimits } from "./lib/limits-report.mjs";
import { busiestThread, childPids, cpuDelta, cpuSample, findWorkerdPid, threadSample } from "./lib/proc.mjs";
import { BENCH_WORKER, gatewayVars, runMain, startLoader, startMiniflare, startMock } from "./lib/processes.mjs";
import { machine, writeResults } from "./lib/report.mjs";
import { fmt, median, quantile } from "./lib/stats.mjs";

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    seconds: { type: "string" },
    requests: { type: "string" },
    "window-seconds": { type: "string" },
    storage: { type: "string", default: "disk,memory" },
  },
});
const QUICK = opts.quick;
const ROUNDS = Number(opts.rounds ?? (QUICK ? 1 : 3));
const SECONDS = Number(opts.seconds ?? (QUICK ? 2 : 5));
const REQUESTS = Number(opts.requests ?? (QUICK ? 300 : 1500));
// The rate-limit shape keeps every admitted request in its 60 s window: run it past 60 s to see the window full.
const WINDOW_SECONDS = Number(opts["window-seconds"] ?? (QUICK ? 5 : 65));
const STORAGE_DIRS = { disk: process.env.TMPDIR ?? "/tmp", memory: "/dev/shm" };
const STORAGES = opts.storage.split(",").filter((name) => name in STORAGE_DIRS && existsSync(STORAGE_DIRS[name]));
const UPSTREAM_KEY = "sk-bench-upstream";
const GATEWAY_TEAM = "team_ceiling_gw";
const SETTLE_MS = 1300;

/** Direct RPC runs: shape of the scopes (bench/workers/limits-driver.ts), concurrent callers, settle after each reservation. */
const DIRECT = [
  { shape: "team", callers: 1, settle: false },
  { shape: "team", callers: 50, settle: false },
  { shape: "team", callers: 1, settle: true },
  { shape: "team", callers: 10, settle: true },
  { shape: "team", callers: 50, settle: true },
  { shape: "team", callers: 200, settle: true },
  { shape: "team+key", callers: 50, settle: true },
];
const CONCURRENCY = [50, 200];
const PARAMS = {
  rounds: ROUNDS,
  seconds: SECONDS,
  requests: REQUESTS,
  windowSeconds: WINDOW_SECONDS,
  direct: DIRECT,
  concurrency: CONCURRENCY,
};

async function main() {
  const startedAt = Date.now();
  const mock = await startMock({ apiKey: UPSTREAM_KEY });
  const scripts = await Promise.all([buildGateway(), buildLimitsDriver()]);
  const loader = startLoader();
  const runs = {};
  for (const storage of STORAGES) {
    console.error(`\n== storage: ${storage} (${STORAGE_DIRS[storage]})`);
    runs[storage] = await measureStorage(storage, scripts, mock, loader);
  }
  for (const [storage, run] of Object.entries(runs)) printLimitsReport(`${storage} (${STORAGE_DIRS[storage]})`, run.summary, run.budget);
  const out = {
    kind: "limits-ceiling",
    at: new Date(startedAt).toISOString(),
    durationS: Math.round((Date.now() - startedAt) / 1000),
    quick: QUICK,
    machine: machine(),
    params: { ...PARAMS, storages: STORAGE_DIRS },
    runs,
  };
  console.log(`\nJSON: ${writeResults("limits-", out)} (${out.durationS} s)`);
}

function startWorkers(mock, [gatewayScript, driverScript]) {
  return startMiniflare({
    cf: false,
    handleStructuredLogs: (log) => {
      if (log.level === "error") console.error(`workerd: ${log.message}`);
    },
    workers: [
      {
        ...BENCH_WORKER,
        name: "gateway",
        script: gatewayScript,
        bindings: gatewayVars(mock.url, UPSTREAM_KEY),
        d1Databases: { DB: "tensoras-gateway" },
        durableObjects: { TEAM_LIMITS: { className: "TeamLimits", useSQLite: true } },
        queueProducers: { USAGE_QUEUE: { queueName: "tensoras-usage" } },
        queueConsumers: { "tensoras-usage": { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 10 } },
      },
      // The object lives in the gateway's isolate; the driver calls it from its own, as a gateway isolate would.
      {
        ...BENCH_WORKER,
        name: "limits-driver",
        script: driverScript,
        durableObjects: { TEAM_LIMITS: { className: "TeamLimits", scriptName: "gateway", useSQLite: true } },
      },
    ],
  });
}

/** Both phases against one Miniflare whose temporary directory (its SQLite files) is under `storage`'s folder. */
async function measureStorage(storage, scripts, mock, loader) {
  // Miniflare takes its temporary directory from os.tmpdir(), which reads TMPDIR.
  process.env.TMPDIR = STORAGE_DIRS[storage];
  const mf = await startWorkers(mock, scripts);
  const db = await mf.getD1Database("DB", "gateway");
  const keys = { plain: await prepareGatewayDb(db), budget: await seedBudgetedTeam(db, { teamId: GATEWAY_TEAM, keyId: "key_ceiling_gw" }) };
  const pid = findWorkerdPid();
  const driverOrigin = new URL(await mf.unsafeGetDirectURL("limits-driver")).origin;
  const gatewayOrigin = new URL(await mf.unsafeGetDirectURL("gateway")).origin;
  console.error(`workerd pid ${pid} · mock pid ${mock.pid} · load pid ${loader.pid} · ${QUICK ? "quick" : "full"} run`);

  const direct = await directPhase(pid, driverOrigin);
  const team = `team_window_${storage}`;
  await drive(pid, driverOrigin, team, { shape: "team+key-rpm", callers: 1, settle: true }, 0.2);
  const windowRun = await drive(pid, driverOrigin, team, { shape: "team+key-rpm", callers: 50, settle: true }, WINDOW_SECONDS);
  console.error(`direct team+key-rpm over ${WINDOW_SECONDS} s: admitted per second ${windowRun.perSecond.join(", ")}`);
  const gateway = await gatewayPhase(pid, loader, gatewayOrigin, keys);

  const budget = await checkBudget(mf, db);
  await mf.dispose();
  // The next storage's workerd must be the only child left when it is looked for.
  while (childPids(process.pid, "workerd").length > 0) await sleep(50);
  return {
    budget,
    summary: summarizeLimits(
      { direct, windowRun, gateway },
      { directRuns: DIRECT, concurrency: CONCURRENCY, windowSeconds: WINDOW_SECONDS },
    ),
    samples: { direct, window: windowRun, gateway },
  };
}

/** One driver call, with workerd's CPU and its busiest thread over it. */
async function drive(pid, origin, team, d, seconds) {
  const query = new URLSearchParams({
    team,
    callers: String(d.callers),
    ms: String(seconds * 1000),
    shape: d.shape,
    settle: d.settle ? "1" : "0",
  });
  const before = cpuSample(pid);
  const threadsBefore = threadSample(pid);
  const res = await fetch(`${origin}/drive?${query}`);
  const threadsAfter = threadSample(pid);
  const cpu = cpuDelta(before, cpuSample(pid));
  if (res.status !== 200) throw new Error(`driver answered ${res.status}: ${await res.text()}`);
  const out = await res.json();
  if (out.errors > 0) throw new Error(`driver: ${out.errors} calls failed, first: ${out.firstError}`);
  return { ...out, cpuMsPerReservation: cpu.schedMs / Math.max(1, out.admitted), busiest: busiestThread(threadsBefore, threadsAfter) };
}

/** 1. Direct RPC. Each run gets a fresh object (a team of its own), woken by a short run first. */
async function directPhase(pid, origin) {
  const direct = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const [i, d] of DIRECT.entries()) {
      const team = `team_direct_${round}_${i}`;
      await drive(pid, origin, team, { ...d, callers: 1 }, 0.2);
      const sample = await drive(pid, origin, team, d, SECONDS);
      direct.push({ round, ...d, ...sample });
      console.error(
        `direct r${round} ${directLabel(d).padEnd(40)} ${fmt(sample.reservationsPerSecond, 0)}/s · p50 ${sample.latencyMs.p50} ms · p99 ${sample.latencyMs.p99} ms · CPU ${fmt(sample.cpuMsPerReservation, 3)} ms · busiest thread ${fmt(sample.busiest.coreShare * 100, 0)} % (waiting ${fmt(sample.busiest.waitShare * 100, 0)} %)`,
      );
    }
  }
  return direct;
}

/** 2. Through the gateway: one budgeted team against the same gateway with a key without a budget, alternating. */
async function gatewayPhase(pid, loader, origin, keys) {
  const body = JSON.stringify({ model: "llama-3.3-70b", stream: false, messages: [{ role: "user", content: "hi" }] });
  const request = (which) => ({
    url: `${origin}/v1/chat/completions`,
    headers: { "content-type": "application/json", authorization: `Bearer ${keys[which]}` },
    body,
  });
  for (const which of ["plain", "budget"]) await loader.run({ type: "batch", ...request(which), concurrency: 32, total: 200 });
  await sleep(SETTLE_MS);
  const gateway = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const concurrency of CONCURRENCY) {
      // Which key goes first alternates, so that drift within a round hits both.
      for (const which of round % 2 ? ["plain", "budget"] : ["budget", "plain"]) {
        const before = cpuSample(pid);
        const threadsBefore = threadSample(pid);
        const { wallMs, results } = await loader.run({ type: "batch", ...request(which), concurrency, total: REQUESTS });
        const busiest = busiestThread(threadsBefore, threadSample(pid));
        await sleep(SETTLE_MS);
        const cpu = cpuDelta(before, cpuSample(pid));
        const ok = results.filter((r) => !r.error && r.status === 200);
        const latencies = ok.map((r) => r.latencyMs);
        const sample = {
          round,
          concurrency,
          key: which,
          requests: results.length,
          failed: results.length - ok.length,
          firstError: results.find((r) => r.error || r.status !== 200) ?? null,
          requestsPerSecond: (ok.length * 1000) / wallMs,
          p50LatencyMs: median(latencies),
          p99LatencyMs: quantile(latencies, 0.99),
          cpuMsPerRequest: cpu.schedMs / Math.max(1, ok.length),
          busiest,
        };
        gateway.push(sample);
        console.error(
          `gateway r${round} ${concurrency} concurrent ${which.padEnd(6)} ${fmt(sample.requestsPerSecond, 0)} req/s · p50 ${fmt(sample.p50LatencyMs, 1)} ms · p99 ${fmt(sample.p99LatencyMs, 1)} ms · CPU ${fmt(sample.cpuMsPerRequest, 3)} ms/req · busiest thread ${fmt(busiest.coreShare * 100, 0)} % (waiting ${fmt(busiest.waitShare * 100, 0)} %)${sample.failed ? ` · FAILED ${sample.failed}: ${JSON.stringify(sample.firstError)}` : ""}`,
        );
      }
    }
  }
  return gateway;
}

/** The gateway phase's team after the run: nothing left reserved, spend equal to the ledger's cost. */
async function checkBudget(mf, db) {
  await sleep(SETTLE_MS);
  const ledger = await db
    .prepare("SELECT COUNT(*) AS n, IFNULL(SUM(cost_micro_usd), 0) AS cost FROM usage_events WHERE team_id = ?")
    .bind(GATEWAY_TEAM)
    .first();
  const namespace = await mf.getDurableObjectNamespace("TEAM_LIMITS", "gateway");
  const status = await namespace.get(namespace.idFromName(GATEWAY_TEAM)).budgetStatus("team", "month", Date.now());
  return {
    team: GATEWAY_TEAM,
    rows: ledger.n,
    ledgerCostMicroUsd: ledger.cost,
    spentMicroUsd: status.spentMicroUsd,
    reservedMicroUsd: status.reservedMicroUsd,
  };
}

await runMain(main);
