// The load generator, run as its own process (child_process.fork) so that its
// CPU is not the workerd's and its event loop is not the orchestrator's.
// Messages in:  {id, type: "batch" | "slow", ...options}
// Messages out: {id, result} or {id, error}
import http from "node:http";
import { Pool } from "undici";

const pools = new Map();
function poolFor(origin, connections) {
  const key = `${origin}#${connections}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
    pools.set(key, pool);
  }
  return pool;
}

/** One request read as fast as possible; times in ms from its start. */
async function timedRequest(pool, path, options) {
  const start = performance.now();
  const { statusCode, body } = await pool.request({ path, method: options.method, headers: options.headers, body: options.body });
  const headersMs = performance.now() - start;
  let ttfbMs = null;
  let bytes = 0;
  for await (const chunk of body) {
    ttfbMs ??= performance.now() - start;
    bytes += chunk.length;
  }
  return { status: statusCode, headersMs, ttfbMs: ttfbMs ?? headersMs, latencyMs: performance.now() - start, bytes };
}

/** `total` requests, `concurrency` at a time, each read to its end. */
async function batch({ url, method = "POST", headers = {}, body, concurrency, total, idPrefix }) {
  const target = new URL(url);
  const pool = poolFor(target.origin, concurrency);
  const results = new Array(total);
  let next = 0;
  const start = performance.now();
  async function lane() {
    for (let i = next++; i < total; i = next++) {
      const h = idPrefix ? { ...headers, "x-bench-id": `${idPrefix}-${i}` } : headers;
      try {
        results[i] = await timedRequest(pool, target.pathname + target.search, { method, headers: h, body });
      } catch (err) {
        results[i] = { error: String(err?.message ?? err) };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  return { wallMs: performance.now() - start, results };
}

/**
 * A slow client: node:http (undici reads far ahead), reading about `bytesPerSecond`
 * by pausing the response between 100 ms slices, then aborting after `abortAfterMs`.
 */
function slow({ url, headers = {}, body, bytesPerSecond, abortAfterMs }) {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const start = performance.now();
    let bytes = 0;
    let ttfbMs = null;
    let status = null;
    let requestId = null;
    let response = null;
    const sliceMs = 100;
    const perSlice = bytesPerSecond / (1000 / sliceMs);
    let sliceBudget = perSlice;
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: "POST",
        headers: { ...headers, "content-length": Buffer.byteLength(body ?? "") },
        agent: false,
      },
      (res) => {
        response = res;
        status = res.statusCode;
        requestId = res.headers["x-request-id"] ?? null;
        res.on("data", (chunk) => {
          ttfbMs ??= performance.now() - start;
          bytes += chunk.length;
          sliceBudget -= chunk.length;
          if (sliceBudget <= 0) res.pause();
        });
        res.on("error", () => {});
      },
    );
    const ticker = setInterval(() => {
      sliceBudget = Math.min(sliceBudget + perSlice, perSlice);
      if (response?.isPaused() && sliceBudget > 0) response.resume();
    }, sliceMs);
    const timer = setTimeout(() => {
      clearInterval(ticker);
      const abortedAt = Date.now();
      req.destroy();
      resolve({ status, requestId, ttfbMs, bytesRead: bytes, abortedAt, readMs: performance.now() - start });
    }, abortAfterMs);
    req.on("error", (err) => {
      // After our own destroy() the promise has already resolved and this is a no-op.
      clearInterval(ticker);
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

process.on("message", async (message) => {
  try {
    const result = message.type === "slow" ? await slow(message) : await batch(message);
    process.send({ id: message.id, result });
  } catch (err) {
    process.send({ id: message.id, error: String(err?.stack ?? err) });
  }
});
process.on("disconnect", () => process.exit(0));
