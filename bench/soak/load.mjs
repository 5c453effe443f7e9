// The soak's load generator, in its own process (forked by run.mjs): runs the plan with
// N requests in flight, each read with node:http and aborted (socket destroyed) where the
// plan says, and scans every response header and body it sees for the run's secrets.
// Bodies are not sent back (10,000 of them); what each request saw is.
import http from "node:http";
import { StringDecoder } from "node:string_decoder";
import { tallyFor } from "./secrets.mjs";

let origin = null;
let paused = false;
const resumeWaiters = [];
const inFlight = new Map();
let started = 0;
let done = 0;
// One TCP connection per request: a kept-alive socket that the runtime closed (or that
// died with it) would fail a request that never reached the gateway.
const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
/** A request still open after this is cut by the client (and says so): a hang must not hang the soak. */
const REQUEST_TIMEOUT_MS = 120_000;

/** Reads one request's response as the plan says; resolves with what the client saw. */
function runOne(item, key, scanner) {
  return new Promise((resolve) => {
    const target = new URL(item.path, origin);
    const payload = JSON.stringify(item.body);
    const seen = {
      i: item.i,
      origin,
      startedAt: Date.now(),
      status: null,
      requestId: null,
      headersAt: null,
      endedAt: null,
      bytes: 0,
      events: 0,
      sawDone: false,
      aborted: false,
      finished: false,
      error: null,
      inFlightAtKill: false,
      head: "",
    };
    let text = "";
    let eventScan = 0;
    let timer = null;
    let settled = false;
    const decoder = new StringDecoder("utf8");
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      seen.endedAt = Date.now();
      text += decoder.end();
      scanner.scan(text, `response body ${seen.requestId ?? `#${item.i}`}`);
      if (seen.status !== 200) seen.head = text.slice(0, 300);
      inFlight.delete(item.i);
      resolve(seen);
    };
    const abort = () => {
      if (settled || seen.finished) return;
      seen.aborted = true;
      req.destroy();
      finish();
    };
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        agent,
        headers: {
          authorization: `Bearer ${key}`,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(payload),
          "x-soak-index": String(item.i),
          ...item.headers,
        },
      },
      (res) => {
        seen.status = res.statusCode;
        seen.headersAt = Date.now();
        seen.requestId = res.headers["x-request-id"] ?? null;
        scanner.scan(JSON.stringify(res.rawHeaders), `response headers ${seen.requestId ?? `#${item.i}`}`);
        res.on("data", (chunk) => {
          seen.bytes += chunk.length;
          text += decoder.write(chunk);
          // Count complete SSE events (blank-line separated) as they arrive.
          for (let at = text.indexOf("\n\n", eventScan); at !== -1; at = text.indexOf("\n\n", eventScan)) {
            const event = text.slice(eventScan, at);
            eventScan = at + 2;
            seen.events++;
            if (event.startsWith("data: [DONE]")) seen.sawDone = true;
            if (item.abort?.afterEvents !== undefined && seen.events >= item.abort.afterEvents) return abort();
            if (item.abort?.onDone && seen.sawDone) return abort();
          }
        });
        res.on("end", () => {
          seen.finished = true;
          finish();
        });
        res.on("error", (err) => {
          if (!seen.aborted) seen.error ??= err.code ?? err.message;
          finish();
        });
        res.on("close", finish);
      },
    );
    req.on("error", (err) => {
      if (!seen.aborted) seen.error ??= err.code ?? err.message;
      finish();
    });
    if (item.abort?.afterEvents === 0) timer = setTimeout(abort, 0);
    if (item.abort?.afterMs !== undefined) timer = setTimeout(abort, item.abort.afterMs);
    const hang = setTimeout(() => {
      seen.error ??= "client timeout";
      req.destroy();
      finish();
    }, REQUEST_TIMEOUT_MS);
    req.on("close", () => clearTimeout(hang));
    inFlight.set(item.i, seen);
    req.end(payload);
  });
}

/** Plan items held out of the lanes until the orchestrator starts their group. */
const groups = new Map();

function holdGroup(name, items, runItem) {
  let start;
  const started = new Promise((resolve) => {
    start = resolve;
  });
  const group = { items, start, finished: started.then(() => Promise.all(items.map(runItem))) };
  groups.set(name, group);
  return group;
}

/**
 * Runs the plan, `concurrency` at a time. Two groups run beside the lanes, each when the
 * orchestrator says: the kill cohort (plan `atKill`: slow requests that must be in flight
 * when the runtime is killed) and the long streams (plan `long`: started on the restarted
 * runtime, to outlive INTERRUPTED_AFTER_SECONDS).
 */
async function run({ plan, keys, concurrency, secrets, origin: first }) {
  origin = first;
  const scanner = tallyFor(secrets);
  const results = new Array(plan.length);
  const regular = plan.filter((item) => !item.long && !item.atKill);
  const runItem = async (item) => {
    started++;
    results[item.i] = await runOne(item, keys[item.keyIndex], scanner);
    done++;
  };
  const held = [
    holdGroup(
      "cohort",
      plan.filter((item) => item.atKill),
      runItem,
    ),
    holdGroup(
      "long",
      plan.filter((item) => item.long),
      runItem,
    ),
  ];
  let next = 0;
  async function lane() {
    for (;;) {
      while (paused) await new Promise((resolve) => resumeWaiters.push(resolve));
      const item = regular[next++];
      if (item === undefined) return;
      await runItem(item);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, regular.length) }, lane));
  await Promise.all(held.map((g) => g.finished));
  return { results, tally: scanner.tally };
}

const handlers = {
  run,
  status: () => ({
    started,
    done,
    inFlight: inFlight.size,
    cohortInFlight: (groups.get("cohort")?.items ?? []).filter((item) => inFlight.has(item.i)).length,
  }),
  /** Starts a held group ("cohort", "long"). */
  startGroup({ name }) {
    groups.get(name)?.start();
    return { started: groups.get(name)?.items.length ?? 0 };
  },
  /** No new request starts; those in flight go on. */
  pause() {
    paused = true;
    return { inFlight: inFlight.size };
  },
  /** The runtime is about to die: every request in flight now was in flight at the kill. */
  killing() {
    for (const seen of inFlight.values()) seen.inFlightAtKill = true;
    return { inFlight: inFlight.size };
  },
  resume({ origin: next }) {
    origin = next;
    paused = false;
    for (const w of resumeWaiters.splice(0)) w();
    return { origin };
  },
};

process.on("message", async (message) => {
  try {
    process.send({ id: message.id, result: await handlers[message.type](message) });
  } catch (err) {
    process.send({ id: message.id, error: String(err?.stack ?? err) });
  }
});
process.on("disconnect", () => process.exit(0));
