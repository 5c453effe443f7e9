// npm run bench:profile -- [--case paced|fast|json|big] [--worker gateway|noop-tap|bare] [--interval-us 100]
//
// A V8 CPU profile of one Worker, taken through workerd's own inspector while the
// load runs one bench case against it (issue 8: "profile with workerd's inspector").
// Writes bench/results/profile-<case>-<worker>-<time>.cpuprofile (open it in Chrome
// DevTools' Performance panel or speedscope) and prints the functions with the most
// self time. The inspector slows the isolate down, so time figures from a profiled
// run are for finding hot spots, never for the bench's ratios.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { freePort } from "../scripts/lib/free-port.mjs";
import { buildGateway, buildPlumbing } from "./lib/build.mjs";
import { prepareGatewayDb } from "./lib/gateway-db.mjs";
import { mockKnobs } from "./lib/mock-knobs.mjs";
import { BENCH_WORKER, gatewayVars, runMain, startLoader, startMiniflare, startMock } from "./lib/processes.mjs";
import { table } from "./lib/stats.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MB = 1024 * 1024;
const UPSTREAM_KEY = "sk-bench-upstream";

const { values: opts } = parseArgs({
  options: {
    case: { type: "string", default: "paced" },
    worker: { type: "string", default: "gateway" },
    "interval-us": { type: "string", default: "100" },
    top: { type: "string", default: "30" },
  },
});

const CASES = {
  paced: { events: 1000, intervalMs: 1, concurrency: 16, total: 32, stream: true },
  fast: { events: 1000, intervalMs: 0, concurrency: 16, total: 32, stream: true },
  json: { concurrency: 32, total: 2048, stream: false },
  big: { bodyBytes: 100 * MB, concurrency: 1, total: 3, stream: true },
};
const c = CASES[opts.case];
if (!c) throw new Error(`--case must be one of ${Object.keys(CASES).join(", ")}`);
if (!["gateway", "noop-tap", "bare"].includes(opts.worker)) throw new Error("--worker must be gateway, noop-tap or bare");

/** A minimal Chrome DevTools Protocol client over Node's WebSocket. */
async function inspect(url) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", reject, { once: true });
  });
  let nextId = 1;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${message.error.message} (${message.error.code})`));
    else waiter.resolve(message.result);
  });
  return {
    send(method, params = {}) {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    close: () => socket.close(),
  };
}

/** Self time per function (summed over every node with the same name and location), heaviest first. */
function selfTimes(profile) {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const ms = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const { callFrame } = byNode.get(profile.samples[i]);
    const file = callFrame.url ? path.basename(callFrame.url) : "";
    const key = `${callFrame.functionName || "(anonymous)"} ${file}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ""}`;
    ms.set(key, (ms.get(key) ?? 0) + profile.timeDeltas[i] / 1000);
  }
  const total = [...ms.values()].reduce((a, b) => a + b, 0);
  return { total, rows: [...ms.entries()].sort((a, b) => b[1] - a[1]) };
}

async function main() {
  const mock = await startMock({ apiKey: UPSTREAM_KEY });
  const script = opts.worker === "gateway" ? await buildGateway() : await buildPlumbing(opts.worker);
  const inspectorPort = await freePort();
  const worker = {
    ...BENCH_WORKER,
    name: opts.worker,
    script,
  };
  if (opts.worker === "gateway") {
    Object.assign(worker, {
      bindings: gatewayVars(mock.url, UPSTREAM_KEY),
      d1Databases: { DB: "tensoras-gateway" },
      queueProducers: { USAGE_QUEUE: { queueName: "tensoras-usage" } },
      queueConsumers: { "tensoras-usage": { maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 10 } },
    });
  } else {
    worker.bindings = { UPSTREAM_URL: mock.url };
  }
  const mf = await startMiniflare({ cf: false, inspectorPort, handleStructuredLogs: () => {}, workers: [worker] });
  const key = opts.worker === "gateway" ? await prepareGatewayDb(await mf.getD1Database("DB", "gateway")) : UPSTREAM_KEY;
  const origin = new URL(await mf.unsafeGetDirectURL(opts.worker)).origin;

  const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
  const target = targets.find((t) => t.title === opts.worker || t.id === opts.worker || t.url?.includes(opts.worker)) ?? targets[0];
  if (!target) throw new Error(`no inspector target for ${opts.worker}: ${JSON.stringify(targets)}`);
  const cdp = await inspect(target.webSocketDebuggerUrl ?? `ws://127.0.0.1:${inspectorPort}/${opts.worker}`);

  const loader = startLoader();
  const body = { model: "llama-3.3-70b", stream: c.stream, messages: [{ role: "user", content: "hi" }] };
  if (c.stream && opts.worker !== "gateway") body.stream_options = { include_usage: true };
  const headers = { "content-type": "application/json", authorization: `Bearer ${key}`, ...mockKnobs(c) };
  const run = (total) =>
    loader.run({
      type: "batch",
      url: `${origin}/v1/chat/completions`,
      headers,
      body: JSON.stringify(body),
      concurrency: c.concurrency,
      total,
    });

  await run(Math.min(c.total, 16)); // warm-up: JIT, key cache, connections
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: Number(opts["interval-us"]) });
  await cdp.send("Profiler.start");
  const { wallMs, results } = await run(c.total);
  const { profile } = await cdp.send("Profiler.stop");
  cdp.close();
  const failed = results.filter((r) => r.error || r.status !== 200).length;

  const dir = path.join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `profile-${opts.case}-${opts.worker}-${new Date().toISOString().replace(/[:.]/g, "-")}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));

  const { total, rows } = selfTimes(profile);
  console.log(`${opts.case} × ${opts.worker}: ${results.length} requests (${failed} failed) in ${wallMs.toFixed(0)} ms`);
  console.log(`profile: ${path.relative(ROOT, file)} · ${total.toFixed(0)} ms sampled`);
  console.log(
    table(
      ["self ms", "%", "function"],
      rows.slice(0, Number(opts.top)).map(([name, ms]) => [ms.toFixed(1), ((100 * ms) / total).toFixed(1), name]),
    ),
  );
}

await runMain(main);
