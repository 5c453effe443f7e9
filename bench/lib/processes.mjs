// The processes a bench run starts (mock upstream, load generator, workerd via
// Miniflare), tracked so that every one is stopped at the end, on error and on Ctrl-C.
import { fork, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const cleanups = [];

export function onCleanup(fn) {
  cleanups.push(fn);
}

let cleaning = null;
/** Runs a harness's main, exits non-zero if it throws, and always stops every process it started. */
export async function runMain(main) {
  try {
    await main();
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  } finally {
    await cleanupAll();
  }
}

export function cleanupAll() {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // keep going: the others must stop too
      }
    }
  })();
  return cleaning;
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, async () => {
    await cleanupAll();
    process.exit(130);
  });
}

function killChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill("SIGKILL"), 2_000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** The project's mock Tensoras (mock/tensoras.mjs) in its own process. */
export async function startMock({ apiKey }) {
  const script = path.join(ROOT, "mock/tensoras.mjs");
  const child = spawn(process.execPath, [script, "--port", "0", "--api-key", apiKey, "--quiet", "--no-raw"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  onCleanup(() => killChild(child));
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mock upstream did not start: ${script}`)), 10_000);
    child.once("exit", (code) => reject(new Error(`mock upstream exited with ${code}`)));
    lines.on("line", (line) => {
      const found = /listening on http:\/\/[^:]+:(\d+)/.exec(line);
      if (found) {
        clearTimeout(timer);
        resolve(Number(found[1]));
      }
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    script: path.relative(ROOT, script),
    url,
    pid: child.pid,
    close: () => killChild(child),
    /** Every request the mock has seen (bytesSent, aborted, outcome, headers…). */
    async requests() {
      return (await fetch(`${url}/__mock/requests`)).json();
    },
    /** Forgets past requests, so that polling stays cheap. */
    async clear() {
      await fetch(`${url}/__mock/requests`, { method: "DELETE" });
    },
  };
}

/** The load generator (bench/lib/load.mjs, or another script of the same protocol) in its own process. */
export function startLoader(script = "bench/lib/load.mjs") {
  const child = fork(path.join(ROOT, script), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  onCleanup(() => killChild(child));
  let nextId = 0;
  const pending = new Map();
  child.on("message", (message) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(message.error));
    else waiter?.resolve(message.result);
  });
  child.on("exit", (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`load generator exited with ${code}`));
    pending.clear();
  });
  return {
    pid: child.pid,
    run(message) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ ...message, id });
      });
    },
    close: () => killChild(child),
  };
}

/** What every bench worker is: ES modules at wrangler.toml's compatibility date, reachable directly (unsafeGetDirectURL). */
export const BENCH_WORKER = { modules: true, compatibilityDate: "2026-11-01", unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] };

/** The gateway's vars against the mock: its upstream and key, and production's body and timeout bounds. */
export function gatewayVars(upstreamUrl, upstreamKey) {
  return { TENSORAS_BASE_URL: upstreamUrl, TENSORAS_API_KEY: upstreamKey, MAX_REQUEST_BYTES: "10485760", UPSTREAM_TIMEOUT_MS: "300000" };
}

/** Starts Miniflare (options in the Miniflare 4 shape, converted for Miniflare 5) and registers its disposal. */
export async function startMiniflare(options) {
  const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = await import("miniflare");
  const mf = new Miniflare(convertV4MiniflareOptions({ log: new Log(LogLevel.WARN), ...options }));
  onCleanup(() => mf.dispose());
  await mf.ready;
  return mf;
}
