// The plumbing measurement: which way of carrying an SSE body costs what, in
// workerd CPU per stream, all variants in one workerd, alternated.
//   npx node bench/plumbing.mjs [--rounds 3] [--streams 32] [--concurrency 16] [--events 1000]
import { parseArgs } from "node:util";
import { PLUMBING_VARIANTS as ALL_VARIANTS, buildPlumbing } from "./lib/build.mjs";
import { cpuDelta, cpuSample, findWorkerdPid } from "./lib/proc.mjs";
import { BENCH_WORKER, runMain, startLoader, startMiniflare, startMock } from "./lib/processes.mjs";
import { machine, writeResults } from "./lib/report.mjs";
import { fmt, fmtSpread, median, spread, table } from "./lib/stats.mjs";

const { values: opts } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    streams: { type: "string", default: "32" },
    concurrency: { type: "string", default: "16" },
    events: { type: "string", default: "1000" },
    interval: { type: "string", default: "1" },
    cases: { type: "string", default: "paced,fast" },
    variants: { type: "string", default: ALL_VARIANTS.join(",") },
  },
});
const PLUMBING_VARIANTS = opts.variants.split(",");
for (const v of ["bare", "tap", "noop-tap"]) if (!PLUMBING_VARIANTS.includes(v)) PLUMBING_VARIANTS.unshift(v);
const ROUNDS = Number(opts.rounds);
const STREAMS = Number(opts.streams);
const CONCURRENCY = Number(opts.concurrency);
const EVENTS = Number(opts.events);
const API_KEY = "sk-bench-upstream";
// What the gateway sends upstream: it injects include_usage, so usage arrives in the last chunk.
const BODY = JSON.stringify({
  model: "llama-3.3-70b",
  stream: true,
  messages: [{ role: "user", content: "hi" }],
  stream_options: { include_usage: true },
});
const CASES = { paced: Number(opts.interval), fast: 0 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const mock = await startMock({ apiKey: API_KEY });
  const workers = [];
  for (const variant of PLUMBING_VARIANTS) {
    workers.push({
      ...BENCH_WORKER,
      name: variant,
      script: await buildPlumbing(variant),
      bindings: { UPSTREAM_URL: mock.url },
    });
  }
  const mf = await startMiniflare({ cf: false, workers });
  const urls = {};
  for (const variant of PLUMBING_VARIANTS) urls[variant] = `${await mf.unsafeGetDirectURL(variant)}v1/chat/completions`;
  const pid = findWorkerdPid();
  const loader = startLoader();
  console.error(`workerd pid ${pid}, mock ${mock.script} pid ${mock.pid}, loader pid ${loader.pid}`);

  const run = (variant, intervalMs, total) =>
    loader.run({
      type: "batch",
      url: urls[variant],
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${API_KEY}`,
        "x-mock-events": String(EVENTS),
        "x-mock-interval-ms": String(intervalMs),
      },
      body: BODY,
      concurrency: CONCURRENCY,
      total,
    });

  // Warm every isolate and connection pool before measuring.
  for (const variant of PLUMBING_VARIANTS) {
    const warm = await run(variant, 0, CONCURRENCY);
    const bad = warm.results.filter((r) => r.error || r.status !== 200);
    if (bad.length) throw new Error(`${variant} warm-up failed: ${JSON.stringify(bad[0])}`);
  }
  await sleep(500);
  const idleBefore = cpuSample(pid);
  await sleep(1000);
  const idleMsPerSecond = cpuDelta(idleBefore, cpuSample(pid)).schedMs;

  const samples = [];
  for (const caseName of opts.cases.split(",")) {
    for (let round = 1; round <= ROUNDS; round++) {
      for (const variant of PLUMBING_VARIANTS) {
        const before = cpuSample(pid);
        const batch = await run(variant, CASES[caseName], STREAMS);
        await sleep(200); // let waitUntil work finish inside the measured window
        const delta = cpuDelta(before, cpuSample(pid));
        const ok = batch.results.filter((r) => !r.error && r.status === 200);
        const sample = {
          case: caseName,
          round,
          variant,
          streams: ok.length,
          failed: STREAMS - ok.length,
          cpuMsPerStream: delta.schedMs / ok.length,
          statCpuMsPerStream: delta.statMs / ok.length,
          threadsChanged: delta.threadsChanged,
          wallMs: batch.wallMs,
          p50TtfbMs: median(ok.map((r) => r.ttfbMs)),
          p50LatencyMs: median(ok.map((r) => r.latencyMs)),
          bytesPerStream: median(ok.map((r) => r.bytes)),
        };
        samples.push(sample);
        console.error(
          `${caseName} r${round} ${variant.padEnd(9)} cpu/stream ${fmt(sample.cpuMsPerStream)} ms (stat ${fmt(sample.statCpuMsPerStream)}) ttfb ${fmt(sample.p50TtfbMs)} lat ${fmt(sample.p50LatencyMs, 0)} failed ${sample.failed}`,
        );
      }
    }
  }

  const summary = summarize(samples);
  print(summary, idleMsPerSecond);
  const out = {
    kind: "plumbing",
    at: new Date().toISOString(),
    machine: machine(),
    params: { rounds: ROUNDS, streams: STREAMS, concurrency: CONCURRENCY, events: EVENTS, intervalMs: CASES.paced, mock: mock.script },
    idleCpuMsPerSecond: idleMsPerSecond,
    summary,
    samples,
  };
  console.log(`\nJSON: ${writeResults("plumbing-", out)}`);
}

function summarize(samples) {
  const out = {};
  for (const caseName of new Set(samples.map((s) => s.case))) {
    const rows = samples.filter((s) => s.case === caseName);
    const byRound = (variant, round) => rows.find((s) => s.variant === variant && s.round === round);
    const rounds = [...new Set(rows.map((s) => s.round))];
    out[caseName] = {};
    for (const variant of PLUMBING_VARIANTS) {
      const mine = rows.filter((s) => s.variant === variant);
      out[caseName][variant] = {
        cpuMsPerStream: spread(mine.map((s) => s.cpuMsPerStream)),
        statCpuMsPerStream: spread(mine.map((s) => s.statCpuMsPerStream)),
        vsBare: spread(rounds.map((r) => byRound(variant, r).cpuMsPerStream / byRound("bare", r).cpuMsPerStream)),
        statVsBare: spread(rounds.map((r) => byRound(variant, r).statCpuMsPerStream / byRound("bare", r).statCpuMsPerStream)),
        p50TtfbMs: spread(mine.map((s) => s.p50TtfbMs)),
        p50LatencyMs: spread(mine.map((s) => s.p50LatencyMs)),
      };
    }
    out[caseName].tapVsNoop = spread(rounds.map((r) => byRound("tap", r).cpuMsPerStream / byRound("noop-tap", r).cpuMsPerStream));
  }
  return out;
}

function print(summary, idle) {
  for (const [caseName, variants] of Object.entries(summary)) {
    console.log(
      `\n${caseName === "paced" ? `${EVENTS} events ~${CASES.paced} ms apart` : `${EVENTS} events as fast as read`}, ${CONCURRENCY} concurrent, ${STREAMS} streams per batch; median (min–max) over ${ROUNDS} rounds`,
    );
    const rows = PLUMBING_VARIANTS.map((v) => {
      const s = variants[v];
      return [
        v,
        fmtSpread(s.cpuMsPerStream),
        fmtSpread(s.vsBare),
        fmtSpread(s.statVsBare),
        fmt(s.p50TtfbMs.median),
        fmt(s.p50LatencyMs.median, 0),
      ];
    });
    console.log(table(["variant", "CPU ms/stream", "× bare (schedstat)", "× bare (stat ticks)", "p50 TTFB ms", "p50 latency ms"], rows));
    console.log(`tap / no-op tap: ${fmtSpread(variants.tapVsNoop)}`);
  }
  console.log(`\nidle workerd CPU: ${fmt(idle)} ms/s`);
}

await runMain(main);
