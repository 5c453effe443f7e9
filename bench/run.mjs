// npm run bench [-- --quick] [--rounds N] [--slow-rounds N] [--cases paced,paced1,fast,json,json1,big,slow]
//
// What the gateway costs over a bare pipe, in the real runtime (issue 8): Workers
// in one workerd started through Miniflare's API (the gateway as built, a bare
// `return fetch(upstream)`, the gateway's streaming plumbing with a no-op tap, and
// two gateways with a part taken out: the ledger, the started note of issue 12, and the
// gateway with a budgeted key, whose requests reserve in the team's Durable Object, issue
// 13), the mock Tensoras in its own process, load from a third process. Variants
// alternate (gateway, bare, no-op, …, gateway, bare, no-op, …) so that drift hits all;
// every figure is also given as a ratio within its round.
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { printReport, progressLine } from "./lib/bench-report.mjs";
import { buildGateway, buildGatewayNoLedger, buildGatewayNoStarted, buildPlumbing } from "./lib/build.mjs";
import { prepareGatewayDb, seedBudgetedTeam } from "./lib/gateway-db.mjs";
import { mockKnobs } from "./lib/mock-knobs.mjs";
import { cpuDelta, cpuSample, findWorkerdPid, memory } from "./lib/proc.mjs";
import { BENCH_WORKER, gatewayVars, runMain, startLoader, startMiniflare, startMock } from "./lib/processes.mjs";
import { machine, writeResults } from "./lib/report.mjs";
import { median, quantile } from "./lib/stats.mjs";
import { summarize } from "./lib/summary.mjs";

const { values: opts } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string" },
    "slow-rounds": { type: "string" },
    cases: { type: "string", default: "paced,paced1,fast,json,json1,big,slow" },
  },
});

const MB = 1024 * 1024;
const QUICK = opts.quick;
const ROUNDS = Number(opts.rounds ?? (QUICK ? 1 : 5));
const SLOW_ROUNDS = Number(opts["slow-rounds"] ?? (QUICK ? 1 : 3));
// gw-no-ledger: the gateway with a queue that drops records (see bench/workers/gateway-no-ledger.ts).
// gw-no-started: the gateway that never sends the started note (bench/workers/producer-no-started.ts).
// gw-budget: the gateway as built, called with a key whose team has a budget (nothing is refused).
const VARIANTS = ["gateway", "bare", "noop-tap", "gw-no-ledger", "gw-no-started", "gw-budget"];
const isGateway = (variant) => variant === "gateway" || variant.startsWith("gw-");
/** The variants whose usage records reach D1 (gw-no-ledger drops them). */
const writesLedger = (variant) => variant === "gateway" || variant === "gw-no-started" || variant === "gw-budget";
// One started note per request is lost in a stream's CPU and irrelevant to the one slow
// stream, whose 20 s rounds are the run's most expensive: gw-no-started skips that case.
// The reservation is one call per request whatever its size: gw-budget runs the small-JSON cases.
const variantsOf = (c) =>
  VARIANTS.filter((variant) => !(variant === "gw-no-started" && c.slow) && !(variant === "gw-budget" && !c.reservation));
/** A round's order: gateway and gw-budget, the pair the reservation's figures compare, trade places every other round. */
function orderOf(c, round) {
  const order = variantsOf(c);
  const [a, b] = [order.indexOf("gateway"), order.indexOf("gw-budget")];
  if (round % 2 === 0 && b >= 0) [order[a], order[b]] = [order[b], order[a]];
  return order;
}
const BUDGET_TEAM = "team_budget";
const UPSTREAM_KEY = "sk-bench-upstream";
// After each batch, before the CPU sample: the usage queue delivers batches after
// up to 1 s locally, and its consumer's work belongs to the gateway's window.
const SETTLE_MS = 1300;

/** The five cases of issue 8 (quick: same shapes, small counts). */
const CASES = {
  paced: {
    title: `${QUICK ? 100 : 1000} events ~1 ms apart, 16 concurrent`,
    stream: true,
    events: QUICK ? 100 : 1000,
    intervalMs: 1,
    concurrency: 16,
    total: QUICK ? 16 : 32,
  },
  // 16 streams that start at once queue on workerd's one JavaScript thread behind each other's
  // auth and body check: one at a time shows the time to first byte the gateway itself adds.
  paced1: {
    title: "100 events ~1 ms apart, one stream at a time",
    stream: true,
    events: 100,
    intervalMs: 1,
    concurrency: 1,
    total: QUICK ? 5 : 20,
  },
  fast: {
    title: `${QUICK ? 100 : 1000} events as fast as read, 16 concurrent`,
    stream: true,
    events: QUICK ? 100 : 1000,
    intervalMs: 0,
    concurrency: 16,
    total: QUICK ? 16 : 32,
  },
  json: { title: "small non-streamed chat, 32 concurrent", stream: false, concurrency: 32, total: QUICK ? 64 : 1024, reservation: true },
  // 32 concurrent saturates 2 cores, so its latency is mostly queueing: one at a time shows the added latency itself.
  json1: { title: "small non-streamed chat, one at a time", stream: false, concurrency: 1, total: QUICK ? 32 : 300, reservation: true },
  big: {
    title: `one ${QUICK ? 10 : 100} MB stream as fast as read`,
    stream: true,
    bodyBytes: (QUICK ? 10 : 100) * MB,
    concurrency: 1,
    total: 1,
  },
  slow: {
    title: `one ${QUICK ? 20 : 200} MB stream read at 1 MB/s by node:http, aborted after ${QUICK ? 3 : 20} s`,
    slow: true,
    bodyBytes: (QUICK ? 20 : 200) * MB,
    bytesPerSecond: MB,
    abortAfterMs: QUICK ? 3_000 : 20_000,
  },
};
const SELECTED = opts.cases.split(",").filter((name) => name in CASES);

const userBody = (stream) => ({ model: "llama-3.3-70b", stream, messages: [{ role: "user", content: "hi" }] });
// The plumbing workers forward the body as is: give them what the gateway sends upstream
// (it injects include_usage into streamed chat), so that the upstream work is the same.
const forwardedBody = (stream) => (stream ? { ...userBody(true), stream_options: { include_usage: true } } : userBody(false));

async function main() {
  const startedAt = Date.now();
  const mock = await startMock({ apiKey: UPSTREAM_KEY });
  const [gatewayScript, bareScript, noopScript, noLedgerScript, noStartedScript] = await Promise.all([
    buildGateway(),
    buildPlumbing("bare"),
    buildPlumbing("noop-tap"),
    buildGatewayNoLedger(),
    buildGatewayNoStarted(),
  ]);
  const vars = gatewayVars(mock.url, UPSTREAM_KEY);
  // The teams' budgets and rate limits: one object per team (src/limits/team-limits.ts), held by
  // gw-budget as wrangler.toml has it; the other gateways bind the same namespace (the gateway's
  // queue consumer settles gw-budget's records in it; plain keys never call it).
  const teamLimits = { TEAM_LIMITS: { className: "TeamLimits", scriptName: "gw-budget", useSQLite: true } };
  // workerd's log lines (the gateway logs one per request) are counted, not printed.
  const logCounts = {};
  const mf = await startMiniflare({
    cf: false,
    handleStructuredLogs: (log) => {
      logCounts[log.level] = (logCounts[log.level] ?? 0) + 1;
      if (log.level === "error" && (logCounts.error ?? 0) <= 5) console.error(`workerd: ${log.message}`);
    },
    workers: [
      {
        ...BENCH_WORKER,
        name: "gateway",
        script: gatewayScript,
        bindings: vars,
        d1Databases: { DB: "tensoras-gateway" },
        durableObjects: teamLimits,
        queueProducers: { USAGE_QUEUE: { queueName: "tensoras-usage" } },
        queueConsumers: {
          "tensoras-usage": { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 10, deadLetterQueue: "tensoras-usage-dlq" },
        },
      },
      { ...BENCH_WORKER, name: "bare", script: bareScript, bindings: { UPSTREAM_URL: mock.url } },
      { ...BENCH_WORKER, name: "noop-tap", script: noopScript, bindings: { UPSTREAM_URL: mock.url } },
      {
        ...BENCH_WORKER,
        name: "gw-no-ledger",
        script: noLedgerScript,
        bindings: vars,
        d1Databases: { DB: "tensoras-gateway" },
        durableObjects: teamLimits,
      },
      // Same queue and D1 as the gateway; the gateway worker's consumer (the same code) writes its records.
      {
        ...BENCH_WORKER,
        name: "gw-no-started",
        script: noStartedScript,
        bindings: vars,
        d1Databases: { DB: "tensoras-gateway" },
        durableObjects: teamLimits,
        queueProducers: { USAGE_QUEUE: { queueName: "tensoras-usage" } },
      },
      // The gateway as built, holding the TeamLimits objects; same queue and D1 as the gateway.
      {
        ...BENCH_WORKER,
        name: "gw-budget",
        script: gatewayScript,
        bindings: vars,
        d1Databases: { DB: "tensoras-gateway" },
        durableObjects: { TEAM_LIMITS: { className: "TeamLimits", useSQLite: true } },
        queueProducers: { USAGE_QUEUE: { queueName: "tensoras-usage" } },
      },
    ],
  });
  const db = await mf.getD1Database("DB", "gateway");
  const gatewayKey = await prepareGatewayDb(db);
  const budgetKey = await seedBudgetedTeam(db, { teamId: BUDGET_TEAM });
  const keyOf = (variant) => (variant === "gw-budget" ? budgetKey : isGateway(variant) ? gatewayKey : UPSTREAM_KEY);
  const origins = {};
  for (const variant of VARIANTS) origins[variant] = new URL(await mf.unsafeGetDirectURL(variant)).origin;
  const pid = findWorkerdPid();
  const loader = startLoader();
  console.error(`workerd pid ${pid} · mock ${mock.script} pid ${mock.pid} · load pid ${loader.pid} · ${QUICK ? "quick" : "full"} run`);

  const requestFor = (variant, c) => {
    const headers = {
      "content-type": "application/json",
      authorization: `Bearer ${keyOf(variant)}`,
      ...mockKnobs(c),
    };
    const body = JSON.stringify(isGateway(variant) ? userBody(c.stream ?? true) : forwardedBody(c.stream ?? true));
    return { url: `${origins[variant]}/v1/chat/completions`, headers, body };
  };

  let ledgerRequests = 0;
  const batch = async (variant, c) => {
    const result = await loader.run({ type: "batch", ...requestFor(variant, c), concurrency: c.concurrency, total: c.total });
    if (writesLedger(variant)) ledgerRequests += result.results.filter((r) => r.status === 200).length;
    return result;
  };

  // Warm-up: isolates, connection pools, the gateway's key and price caches, its D1, the team's object.
  for (const variant of VARIANTS) {
    for (const c of [
      { ...CASES.fast, events: 100, total: 16 },
      { ...CASES.json, total: 64 },
    ].filter((c) => variantsOf(c).includes(variant))) {
      const warm = await batch(variant, c);
      const bad = warm.results.find((r) => r.error || r.status !== 200);
      if (bad) throw new Error(`${variant} warm-up failed: ${JSON.stringify(bad)}`);
    }
  }
  await sleep(SETTLE_MS);

  const samples = [];
  for (const caseName of SELECTED) {
    const c = CASES[caseName];
    const rounds = c.slow ? SLOW_ROUNDS : ROUNDS;
    for (let round = 1; round <= rounds; round++) {
      for (const variant of orderOf(c, round)) {
        const sample = c.slow ? await measureSlow(variant, round, c) : await measureBatch(variant, c);
        samples.push({ case: caseName, round, variant, ...sample });
        console.error(progressLine(caseName, round, variant, sample));
      }
    }
  }

  async function measureBatch(variant, c) {
    const rss = watchRss(pid);
    const before = cpuSample(pid);
    const { wallMs, results } = await batch(variant, c);
    await sleep(SETTLE_MS);
    const cpu = cpuDelta(before, cpuSample(pid));
    const ok = results.filter((r) => !r.error && r.status === 200);
    const bytes = ok.reduce((sum, r) => sum + r.bytes, 0);
    return {
      requests: results.length,
      failed: results.length - ok.length,
      firstError: results.find((r) => r.error || r.status !== 200) ?? null,
      wallMs,
      requestsPerSecond: (ok.length * 1000) / wallMs,
      p50LatencyMs: median(ok.map((r) => r.latencyMs)),
      p99LatencyMs: quantile(
        ok.map((r) => r.latencyMs),
        0.99,
      ),
      p50TtfbMs: median(ok.map((r) => r.ttfbMs)),
      cpuMsPerRequest: cpu.schedMs / Math.max(1, ok.length),
      statCpuMsPerRequest: cpu.statMs / Math.max(1, ok.length),
      mbPerSecond: bytes / MB / (wallMs / 1000),
      bytesPerRequest: ok.length ? bytes / ok.length : 0,
      ...rss.stop(),
    };
  }

  async function measureSlow(variant, round, c) {
    await mock.clear();
    const benchId = `slow-${variant}-${round}-${Date.now()}`;
    const timeline = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const record = (await mock.requests()).find((r) => r.headers?.["x-bench-id"] === benchId);
        if (record) timeline.push({ at: Date.now(), bytesSent: record.bytesSent, outcome: record.outcome });
        await sleep(20);
      }
    })();
    const rss = watchRss(pid);
    const before = cpuSample(pid);
    const request = requestFor(variant, c);
    const result = await loader.run({
      type: "slow",
      ...request,
      headers: { ...request.headers, "x-bench-id": benchId },
      bytesPerSecond: c.bytesPerSecond,
      abortAfterMs: c.abortAfterMs,
    });
    // Wait for the mock to see the connection close (or give up after 10 s).
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !(timeline.at(-1)?.outcome && timeline.at(-1).outcome !== "pending")) await sleep(20);
    await sleep(SETTLE_MS);
    const cpu = cpuDelta(before, cpuSample(pid));
    polling = false;
    await poller;
    const atAbort = timeline.filter((t) => t.at <= result.abortedAt).at(-1);
    const closed = timeline.find((t) => t.outcome !== "pending");
    if (writesLedger(variant)) ledgerRequests += result.status === 200 ? 1 : 0;
    return {
      requests: 1,
      failed: result.status === 200 ? 0 : 1,
      clientMbRead: result.bytesRead / MB,
      p50TtfbMs: result.ttfbMs,
      upstreamMbSentByAbort: atAbort ? atAbort.bytesSent / MB : null,
      upstreamMbSentTotal: timeline.length ? timeline.at(-1).bytesSent / MB : null,
      upstreamOutcome: closed?.outcome ?? "still open",
      upstreamClosedAfterAbortMs: closed ? Math.max(0, closed.at - result.abortedAt) : null,
      cpuMsPerRequest: cpu.schedMs,
      statCpuMsPerRequest: cpu.statMs,
      gatewayRequestId: variant === "gateway" ? result.requestId : undefined,
      ...rss.stop(),
    };
  }

  // The ledger: every gateway request that got a 200 has its row, the slow ones as client_aborted.
  const ledger = await checkLedger(
    db,
    ledgerRequests,
    samples.filter((s) => s.gatewayRequestId).map((s) => s.gatewayRequestId),
  );
  ledger.budget = await checkBudget(mf, db);
  const summary = summarize(samples, { cases: CASES, variantsOf });
  printReport(summary, ledger, { caseNames: Object.keys(CASES), variantsOf: (name) => variantsOf(CASES[name]) });
  const out = {
    kind: "bench",
    at: new Date(startedAt).toISOString(),
    durationS: Math.round((Date.now() - startedAt) / 1000),
    quick: QUICK,
    machine: machine(),
    params: {
      rounds: ROUNDS,
      slowRounds: SLOW_ROUNDS,
      settleMs: SETTLE_MS,
      cases: Object.fromEntries(SELECTED.map((n) => [n, CASES[n]])),
      mock: mock.script,
    },
    workerdPeakRssMb: memory(pid).hwmMb,
    ledger,
    workerdLogLines: logCounts,
    summary,
    samples,
  };
  console.log(`\nJSON: ${writeResults("", out)} (${out.durationS} s)`);
}

/** Samples the workerd RSS every 50 ms; stop() gives the start, the peak and the growth. */
function watchRss(pid) {
  const start = memory(pid).rssMb;
  let peak = start;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, memory(pid).rssMb);
    } catch {
      // workerd gone: the batch will fail on its own
    }
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      const end = memory(pid).rssMb;
      peak = Math.max(peak, end);
      return { rssStartMb: start, peakRssMb: peak, rssGrowthMb: peak - start };
    },
  };
}

async function checkLedger(db, expected, slowRequestIds) {
  let rows = 0;
  for (let i = 0; i < 30; i++) {
    rows = (await db.prepare("SELECT COUNT(*) AS n FROM usage_events").first()).n;
    if (rows >= expected) break;
    await sleep(500);
  }
  const slowOutcomes = [];
  for (const id of slowRequestIds) {
    const row = await db.prepare("SELECT outcome, usage_source, completion_tokens FROM usage_events WHERE request_id = ?").bind(id).first();
    slowOutcomes.push({ requestId: id, ...(row ?? { outcome: "missing" }) });
  }
  const outcomes = await db.prepare("SELECT outcome, COUNT(*) AS n FROM usage_events GROUP BY outcome").all();
  // Every request here got its final record, which supersedes its started note: none may stay open.
  const openStarted = (await db.prepare("SELECT COUNT(*) AS n FROM usage_started").first()).n;
  return {
    expectedRows: expected,
    rows,
    byOutcome: Object.fromEntries(outcomes.results.map((r) => [r.outcome, r.n])),
    slowOutcomes,
    openStarted,
  };
}

/**
 * The budgeted team's object after the run: every reservation settled (the gateway's or
 * the consumer's settle), and the period's spend equal to the ledger's cost of its rows.
 */
async function checkBudget(mf, db) {
  const ledger = await db
    .prepare("SELECT COUNT(*) AS n, IFNULL(SUM(cost_micro_usd), 0) AS cost FROM usage_events WHERE team_id = ?")
    .bind(BUDGET_TEAM)
    .first();
  const namespace = await mf.getDurableObjectNamespace("TEAM_LIMITS", "gw-budget");
  const status = await namespace.get(namespace.idFromName(BUDGET_TEAM)).budgetStatus("team", "month", Date.now());
  return {
    team: BUDGET_TEAM,
    rows: ledger.n,
    ledgerCostMicroUsd: ledger.cost,
    spentMicroUsd: status.spentMicroUsd,
    reservedMicroUsd: status.reservedMicroUsd,
  };
}

await runMain(main);
