// npm run bench [-- --quick] [--rounds N] [--slow-rounds N] [--cases paced,paced1,fast,json,json1,big,slow]
//
// What the gateway costs over a bare pipe, in the real runtime (issue 8): Workers
// in one workerd started through Miniflare's API (the gateway as built, a bare
// `return fetch(upstream)`, the gateway's streaming plumbing with a no-op tap, and
// two gateways with a part taken out: the ledger, the started note of issue 12), the
// mock Tensoras in its own process, load from a third process. Variants alternate
// (gateway, bare, no-op, …, gateway, bare, no-op, …) so that drift hits all; every
// figure is also given as a ratio within its round.
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { buildGateway, buildGatewayNoLedger, buildGatewayNoStarted, buildPlumbing } from "./lib/build.mjs";
import { prepareGatewayDb } from "./lib/gateway-db.mjs";
import { mockKnobs } from "./lib/mock-knobs.mjs";
import { cpuDelta, cpuSample, findWorkerdPid, memory } from "./lib/proc.mjs";
import { runMain, startLoader, startMiniflare, startMock } from "./lib/processes.mjs";
import { machine, writeResults } from "./lib/report.mjs";
import { fmt, fmtSpread, median, quantile, spread, table } from "./lib/stats.mjs";

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
const VARIANTS = ["gateway", "bare", "noop-tap", "gw-no-ledger", "gw-no-started"];
const isGateway = (variant) => variant === "gateway" || variant.startsWith("gw-");
/** The variants whose usage records reach D1 (gw-no-ledger drops them). */
const writesLedger = (variant) => variant === "gateway" || variant === "gw-no-started";
// One started note per request is lost in a stream's CPU and irrelevant to the one slow
// stream, whose 20 s rounds are the run's most expensive: gw-no-started skips that case.
const variantsOf = (c) => (c.slow ? VARIANTS.filter((variant) => variant !== "gw-no-started") : VARIANTS);
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
  json: { title: "small non-streamed chat, 32 concurrent", stream: false, concurrency: 32, total: QUICK ? 64 : 1024 },
  // 32 concurrent saturates 2 cores, so its latency is mostly queueing: one at a time shows the added latency itself.
  json1: { title: "small non-streamed chat, one at a time", stream: false, concurrency: 1, total: QUICK ? 32 : 300 },
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
  const gatewayVars = {
    TENSORAS_BASE_URL: mock.url,
    TENSORAS_API_KEY: UPSTREAM_KEY,
    MAX_REQUEST_BYTES: "10485760",
    UPSTREAM_TIMEOUT_MS: "300000",
  };
  // workerd's log lines (the gateway logs one per request) are counted, not printed.
  const logCounts = {};
  const common = { modules: true, compatibilityDate: "2026-11-01", unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] };
  const mf = await startMiniflare({
    cf: false,
    handleStructuredLogs: (log) => {
      logCounts[log.level] = (logCounts[log.level] ?? 0) + 1;
      if (log.level === "error" && (logCounts.error ?? 0) <= 5) console.error(`workerd: ${log.message}`);
    },
    workers: [
      {
        ...common,
        name: "gateway",
        script: gatewayScript,
        bindings: gatewayVars,
        d1Databases: { DB: "tensoras-gateway" },
        queueProducers: { USAGE_QUEUE: { queueName: "tensoras-usage" } },
        queueConsumers: {
          "tensoras-usage": { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 10, deadLetterQueue: "tensoras-usage-dlq" },
        },
      },
      { ...common, name: "bare", script: bareScript, bindings: { UPSTREAM_URL: mock.url } },
      { ...common, name: "noop-tap", script: noopScript, bindings: { UPSTREAM_URL: mock.url } },
      { ...common, name: "gw-no-ledger", script: noLedgerScript, bindings: gatewayVars, d1Databases: { DB: "tensoras-gateway" } },
      // Same queue and D1 as the gateway; the gateway worker's consumer (the same code) writes its records.
      {
        ...common,
        name: "gw-no-started",
        script: noStartedScript,
        bindings: gatewayVars,
        d1Databases: { DB: "tensoras-gateway" },
        queueProducers: { USAGE_QUEUE: { queueName: "tensoras-usage" } },
      },
    ],
  });
  const db = await mf.getD1Database("DB", "gateway");
  const gatewayKey = await prepareGatewayDb(db);
  const origins = {};
  for (const variant of VARIANTS) origins[variant] = new URL(await mf.unsafeGetDirectURL(variant)).origin;
  const pid = findWorkerdPid();
  const loader = startLoader();
  console.error(`workerd pid ${pid} · mock ${mock.script} pid ${mock.pid} · load pid ${loader.pid} · ${QUICK ? "quick" : "full"} run`);

  const requestFor = (variant, c) => {
    const headers = {
      "content-type": "application/json",
      authorization: `Bearer ${isGateway(variant) ? gatewayKey : UPSTREAM_KEY}`,
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

  // Warm-up: isolates, connection pools, the gateway's key cache and its D1.
  for (const variant of VARIANTS) {
    for (const c of [
      { ...CASES.fast, events: 100, total: 16 },
      { ...CASES.json, total: 64 },
    ]) {
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
      for (const variant of variantsOf(c)) {
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
  const summary = summarize(samples);
  printReport(summary, ledger);
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

const METRICS = [
  "requestsPerSecond",
  "p50LatencyMs",
  "p99LatencyMs",
  "p50TtfbMs",
  "cpuMsPerRequest",
  "statCpuMsPerRequest",
  "mbPerSecond",
  "peakRssMb",
  "rssGrowthMb",
  "upstreamMbSentByAbort",
  "upstreamMbSentTotal",
  "upstreamClosedAfterAbortMs",
  "clientMbRead",
];

function summarize(samples) {
  const out = {};
  for (const caseName of new Set(samples.map((s) => s.case))) {
    const rows = samples.filter((s) => s.case === caseName);
    const rounds = [...new Set(rows.map((s) => s.round))];
    const at = (variant, round) => rows.find((s) => s.variant === variant && s.round === round);
    const perRound = (fn) =>
      spread(rounds.map((r) => fn(at("gateway", r), at("bare", r), at("noop-tap", r), at("gw-no-ledger", r), at("gw-no-started", r))));
    const measuredNoStarted = rows.some((s) => s.variant === "gw-no-started");
    out[caseName] = { title: CASES[caseName].title, variants: {}, ratios: {} };
    for (const variant of variantsOf(CASES[caseName])) {
      const mine = rows.filter((s) => s.variant === variant);
      const figures = {};
      for (const metric of METRICS)
        if (mine.some((s) => typeof s[metric] === "number")) figures[metric] = spread(mine.map((s) => s[metric]));
      figures.failed = mine.reduce((sum, s) => sum + s.failed, 0);
      figures.upstreamOutcomes = mine.map((s) => s.upstreamOutcome).filter(Boolean);
      out[caseName].variants[variant] = figures;
    }
    out[caseName].ratios = {
      cpuGatewayOverBare: perRound((g, b) => g.cpuMsPerRequest / b.cpuMsPerRequest),
      cpuGatewayOverNoop: perRound((g, _b, n) => g.cpuMsPerRequest / n.cpuMsPerRequest),
      cpuNoopOverBare: perRound((_g, b, n) => n.cpuMsPerRequest / b.cpuMsPerRequest),
      cpuNoLedgerOverBare: perRound((_g, b, _n, l) => l.cpuMsPerRequest / b.cpuMsPerRequest),
      cpuNoLedgerOverNoop: perRound((_g, _b, n, l) => l.cpuMsPerRequest / n.cpuMsPerRequest),
      // What the started note costs: the gateway against itself without it, in the same round.
      ...(measuredNoStarted && {
        cpuNoStartedOverBare: perRound((_g, b, _n, _l, s) => s.cpuMsPerRequest / b.cpuMsPerRequest),
        cpuNoStartedOverNoop: perRound((_g, _b, n, _l, s) => s.cpuMsPerRequest / n.cpuMsPerRequest),
        cpuGatewayOverNoStarted: perRound((g, _b, _n, _l, s) => g.cpuMsPerRequest / s.cpuMsPerRequest),
        addedCpuMsByStarted: perRound((g, _b, _n, _l, s) => g.cpuMsPerRequest - s.cpuMsPerRequest),
        p50LatencyGatewayOverNoStarted: perRound((g, _b, _n, _l, s) => g.p50LatencyMs / s.p50LatencyMs),
        addedP50LatencyByStartedMs: perRound((g, _b, _n, _l, s) => g.p50LatencyMs - s.p50LatencyMs),
      }),
      addedP50LatencyMs: perRound((g, b) => g.p50LatencyMs - b.p50LatencyMs),
      addedP50TtfbMs: perRound((g, b) => g.p50TtfbMs - b.p50TtfbMs),
      ...(rows[0].mbPerSecond !== undefined && { throughputGatewayOverBare: perRound((g, b) => g.mbPerSecond / b.mbPerSecond) }),
      ...(rows[0].upstreamMbSentByAbort !== undefined && {
        extraUpstreamMbByAbort: perRound((g, b) => g.upstreamMbSentByAbort - b.upstreamMbSentByAbort),
        extraRssGrowthMb: perRound((g, b) => g.rssGrowthMb - b.rssGrowthMb),
      }),
    };
  }
  return out;
}

function progressLine(caseName, round, variant, s) {
  const parts = [`${caseName} r${round} ${variant.padEnd(8)}`, `cpu/req ${fmt(s.cpuMsPerRequest)} ms`];
  if (s.requestsPerSecond !== undefined)
    parts.push(
      `${fmt(s.requestsPerSecond, 1)} req/s`,
      `p50 ${fmt(s.p50LatencyMs, 1)} ms`,
      `ttfb ${fmt(s.p50TtfbMs, 1)} ms`,
      `${fmt(s.mbPerSecond, 1)} MB/s`,
    );
  if (s.upstreamMbSentByAbort !== undefined)
    parts.push(
      `upstream ${fmt(s.upstreamMbSentByAbort, 1)} MB by abort`,
      `closed +${fmt(s.upstreamClosedAfterAbortMs, 0)} ms (${s.upstreamOutcome})`,
      `client read ${fmt(s.clientMbRead, 1)} MB`,
    );
  parts.push(`rss peak ${fmt(s.peakRssMb, 0)} MB (+${fmt(s.rssGrowthMb, 1)})`);
  if (s.failed) parts.push(`FAILED ${s.failed}: ${JSON.stringify(s.firstError)}`);
  return parts.join(" · ");
}

function printReport(summary, ledger) {
  for (const [caseName, c] of Object.entries(summary)) {
    console.log(`\n(${Object.keys(CASES).indexOf(caseName) + 1}) ${c.title} · median (min–max) over rounds`);
    const slow = caseName === "slow";
    const header = slow
      ? [
          "worker",
          "CPU ms/req",
          "× bare",
          "upstream MB by abort",
          "upstream MB total",
          "upstream closed +ms",
          "RSS growth MB",
          "peak RSS MB",
        ]
      : ["worker", "req/s", "p50 ms", "p99 ms", "p50 TTFB ms", "CPU ms/req", "× bare", "× no-op", "× no-started", "MB/s", "peak RSS MB"];
    const rows = variantsOf(CASES[caseName]).map((variant) => {
      const v = c.variants[variant];
      const vsBare =
        {
          gateway: fmtSpread(c.ratios.cpuGatewayOverBare),
          "noop-tap": fmtSpread(c.ratios.cpuNoopOverBare),
          "gw-no-ledger": fmtSpread(c.ratios.cpuNoLedgerOverBare),
          "gw-no-started": fmtSpread(c.ratios.cpuNoStartedOverBare),
        }[variant] ?? "1";
      const vsNoop =
        {
          gateway: fmtSpread(c.ratios.cpuGatewayOverNoop),
          "gw-no-ledger": fmtSpread(c.ratios.cpuNoLedgerOverNoop),
          "gw-no-started": fmtSpread(c.ratios.cpuNoStartedOverNoop),
        }[variant] ?? "";
      const vsNoStarted = { gateway: fmtSpread(c.ratios.cpuGatewayOverNoStarted), "gw-no-started": "1" }[variant] ?? "";
      if (slow) {
        return [
          variant,
          fmtSpread(v.cpuMsPerRequest, 1),
          vsBare,
          fmtSpread(v.upstreamMbSentByAbort, 1),
          fmtSpread(v.upstreamMbSentTotal, 1),
          fmtSpread(v.upstreamClosedAfterAbortMs, 0),
          fmtSpread(v.rssGrowthMb, 1),
          fmt(v.peakRssMb.max, 0),
        ];
      }
      return [
        variant + (v.failed ? ` (${v.failed} failed)` : ""),
        fmt(v.requestsPerSecond.median, 1),
        fmt(v.p50LatencyMs.median, 1),
        fmt(v.p99LatencyMs.median, 1),
        fmt(v.p50TtfbMs.median, 2),
        fmtSpread(v.cpuMsPerRequest),
        vsBare,
        vsNoop,
        vsNoStarted,
        fmt(v.mbPerSecond.median, 1),
        fmt(v.peakRssMb.max, 0),
      ];
    });
    console.log(table(header, rows));
    const r = c.ratios;
    const notes = [`gateway − bare: p50 latency ${fmtSpread(r.addedP50LatencyMs)} ms, p50 TTFB ${fmtSpread(r.addedP50TtfbMs)} ms`];
    if (r.cpuGatewayOverNoStarted)
      notes.push(
        `started note: CPU gateway/gw-no-started ${fmtSpread(r.cpuGatewayOverNoStarted)} (${fmtSpread(r.addedCpuMsByStarted, 3)} ms/req), p50 latency ${fmtSpread(r.p50LatencyGatewayOverNoStarted)} (${fmtSpread(r.addedP50LatencyByStartedMs)} ms)`,
      );
    if (r.throughputGatewayOverBare && caseName === "big") notes.push(`throughput gateway/bare ${fmtSpread(r.throughputGatewayOverBare)}`);
    if (slow)
      notes.push(
        `upstream outcomes: ${variantsOf(CASES.slow)
          .map((v) => `${v} ${c.variants[v].upstreamOutcomes.join("/")}`)
          .join(", ")}`,
      );
    console.log(notes.join(" · "));
  }
  console.log(
    `\nledger: ${ledger.rows} usage rows for ${ledger.expectedRows} gateway requests answered 200 · by outcome ${JSON.stringify(ledger.byOutcome)} · slow-client rows: ${ledger.slowOutcomes.map((o) => o.outcome).join(", ") || "–"} · started notes left open: ${ledger.openStarted}`,
  );
  printTargets(summary, ledger);
}

/** Issue 8's targets, for reading only: the suite never fails on a timing. */
function printTargets(s, ledger) {
  const rows = [];
  const add = (name, spreadValue, limit, unit = "×", digits = 2) => {
    if (!spreadValue || !Number.isFinite(spreadValue.median)) return;
    const higherIsBetter = name.includes("throughput");
    const met = higherIsBetter ? spreadValue.median >= limit : spreadValue.median <= limit;
    rows.push([
      name,
      `${fmtSpread(spreadValue, digits)} ${unit}`,
      `${higherIsBetter ? "≥" : "≤"} ${limit} ${unit}`,
      met ? "met" : "MISSED",
    ]);
  };
  add("paced: CPU gateway/bare", s.paced?.ratios.cpuGatewayOverBare, 3.0);
  add("paced: CPU gateway/no-op tap", s.paced?.ratios.cpuGatewayOverNoop, 1.1);
  add("paced: added p50 TTFB", s.paced?.ratios.addedP50TtfbMs, 1, "ms");
  add("paced, one at a time: added p50 TTFB", s.paced1?.ratios.addedP50TtfbMs, 1, "ms");
  add("fast: CPU gateway/bare", s.fast?.ratios.cpuGatewayOverBare, 4.5);
  add("json, one at a time: added p50 latency", s.json1?.ratios.addedP50LatencyMs, 1, "ms");
  add("json, 32 concurrent: added p50 latency", s.json?.ratios.addedP50LatencyMs, 1, "ms");
  add("json: CPU gateway/bare", s.json?.ratios.cpuGatewayOverBare, 3.0);
  // Issue 12: the started note is sent beside the upstream call "so that it adds no latency".
  add("json, one at a time: p50 latency added by the started note", s.json1?.ratios.addedP50LatencyByStartedMs, 0.1, "ms");
  // No CPU target was set for it: shown so that its cost is read beside the others.
  for (const [name, ratio] of [
    ["json, 32 concurrent: CPU gateway/gw-no-started", s.json?.ratios.cpuGatewayOverNoStarted],
    ["json, one at a time: CPU gateway/gw-no-started", s.json1?.ratios.cpuGatewayOverNoStarted],
  ])
    if (ratio && Number.isFinite(ratio.median)) rows.push([name, `${fmtSpread(ratio)} ×`, "none set", ""]);
  add("big: throughput gateway/bare", s.big?.ratios.throughputGatewayOverBare, 0.5);
  add("slow: upstream MB by abort, gateway − bare", s.slow?.ratios.extraUpstreamMbByAbort, 2, "MB", 1);
  add("slow: RSS growth, gateway − bare", s.slow?.ratios.extraRssGrowthMb, 16, "MB", 1);
  add("slow: gateway upstream closed after abort", s.slow?.variants.gateway.upstreamClosedAfterAbortMs, 1000, "ms", 0);
  if (ledger.slowOutcomes.length) {
    const all = ledger.slowOutcomes.every((o) => o.outcome === "client_aborted");
    rows.push([
      "slow: metered as client_aborted",
      ledger.slowOutcomes.map((o) => o.outcome).join(", "),
      "client_aborted",
      all ? "met" : "MISSED",
    ]);
  }
  rows.push(["ledger: started notes left open", String(ledger.openStarted), "0", ledger.openStarted === 0 ? "met" : "MISSED"]);
  console.log(
    `\ntargets (issues 8 and 12; informational, never asserted)\n${table(["target", "measured (median, min–max)", "target", ""], rows)}`,
  );
}

await runMain(main);
