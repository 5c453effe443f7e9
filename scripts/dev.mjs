#!/usr/bin/env node
/**
 * `npm run dev`: the whole gateway on this machine, no Cloudflare account, no network.
 *
 *   1. `.dev.vars` from `.dev.vars.example` if absent
 *   2. local D1 migrations, then the demo team and key (idempotent), and demo usage: a few
 *      teams, keys, prices and the last 24 h of traffic for /dashboard (scripts/lib/demo-usage.mjs)
 *   3. a mock Tensoras on a free port unless TENSORAS_API_KEY is configured
 *   4. `wrangler dev`, and a banner with a ready-to-paste curl once /healthz answers
 *
 * Environment: PORT (default 8787), DEV_PERSIST_TO (wrangler --persist-to), DEV_DEMO_USAGE (0: no
 * demo usage; 1: demo usage even with a real TENSORAS_API_KEY, which otherwise skips it), and
 * TENSORAS_API_KEY / TENSORAS_BASE_URL (also read from .dev.vars).
 * Arguments after `--` go to `wrangler dev` (`npm run dev -- --log-level debug`).
 * However it is stopped (Ctrl-C, `kill` of npm or of this script, SIGHUP), everything it
 * started stops with it: scripts/lib/dev-stop.mjs.
 */
import { createServer } from "node:net";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { groupOptions, killChildren, stopChildren, watchLaunchers } from "./lib/dev-stop.mjs";
import { loadDevVars } from "./lib/dev-vars.mjs";
import { waitForHealth } from "./lib/health.mjs";
import { localD1 } from "./lib/local-d1.mjs";
import { liveChildren, runWrangler, spawnWrangler } from "./lib/wrangler.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const MOCK_UPSTREAM_KEY = "mock-upstream-key";
const HEALTH_TIMEOUT_MS = 120_000;

/** @type {{ close(): Promise<void> } | undefined} */
let mock;
/** `wrangler dev`, in a process group of its own (scripts/lib/dev-stop.mjs says why). */
/** @type {import("node:child_process").ChildProcess | undefined} */
let devServer;
let stopping = false;
let shuttingDown = false;

function log(message) {
  console.log(`[dev] ${message}`);
}

function requireNode22() {
  const [major, minor] = process.versions.node.split(".").map(Number);
  if (major > 22 || (major === 22 && minor >= 18)) return;
  console.error(`[dev] Node ${process.versions.node} is too old: run \`npm run dev\`, which uses the Node 22 from devDependencies.`);
  process.exit(1);
}

/** Fails early, and clearly, when something else already holds the gateway's port. */
function assertPortFree(port) {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", () => reject(new Error(`port ${port} is in use; set PORT to another port`)));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(undefined)));
  });
}

function banner({ gatewayUrl, upstream, demoKey, healthy }) {
  const curl = [
    `curl ${gatewayUrl}/v1/chat/completions`,
    `-H "Authorization: Bearer ${demoKey}"`,
    `-H "Content-Type: application/json"`,
    `-d '{"model":"llama-3.3-70b","stream":true,"messages":[{"role":"user","content":"Hello"}]}'`,
  ].join(" ");
  const rule = "─".repeat(72);
  const lines = [
    "",
    rule,
    healthy ? ` tensoras-gateway is ready at ${gatewayUrl}` : ` tensoras-gateway: ${gatewayUrl}/healthz did not answer 200 yet`,
    ` upstream:  ${upstream}`,
    ` demo key:  ${demoKey}   (team_demo / key_demo, local only)`,
    " admin:     Authorization: Bearer <ADMIN_TOKEN from .dev.vars>",
    "",
    " try:",
    ` ${curl}`,
    rule,
    "",
  ];
  console.log(lines.join("\n"));
}

/** Stops whatever is running (wrangler and all it spawned, the mock) and exits with `code`. */
async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  stopping = true;
  // Also after wrangler exited by itself: what it spawned may still be in its group.
  await stopChildren([...liveChildren, ...(devServer ? [devServer] : [])]);
  await mock?.close();
  process.exit(code);
}

function stopOnSignals() {
  for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM", "SIGHUP"])) {
    process.on(signal, () => {
      if (stopping) {
        // A second signal: something hangs; stop waiting for it.
        killChildren([...liveChildren, ...(devServer ? [devServer] : [])]);
        process.exit(128 + constants.signals[signal]);
      }
      // Whichever signal came (Ctrl-C, `kill`, a closed terminal), wrangler gets SIGTERM:
      // its wrapper passes on only SIGINT and SIGTERM.
      shutdown(128 + constants.signals[signal]);
    });
  }
  // `kill <npm pid>` ends the `sh -c` npm runs us in, and no signal reaches us.
  watchLaunchers(() => {
    if (stopping) return;
    log("npm run dev was stopped; stopping the gateway");
    shutdown(129);
  });
}

async function main() {
  requireNode22();
  stopOnSignals();
  const { loadOrCreateDemoKey, demoSeedSql } = await import("./lib/demo-seed.mjs");
  const port = Number(process.env.PORT ?? 8787);
  const persist = process.env.DEV_PERSIST_TO ? ["--persist-to", process.env.DEV_PERSIST_TO] : [];
  const extraArgs = process.argv.slice(2);
  if (extraArgs[0] === "--") extraArgs.shift();

  const { vars, created } = await loadDevVars(ROOT);
  if (created) log("created .dev.vars from .dev.vars.example");
  await assertPortFree(port);

  log("applying D1 migrations (local)…");
  await runWrangler(ROOT, ["d1", "migrations", "apply", "DB", "--local", ...persist]);
  const { key: demoKey, created: newKey } = await loadOrCreateDemoKey(ROOT);
  log(newKey ? "created the demo key (.wrangler/demo-key.txt)" : "reusing the demo key in .wrangler/demo-key.txt");
  await runWrangler(ROOT, ["d1", "execute", "DB", "--local", ...persist, "--command", await demoSeedSql(demoKey)]);
  const realKey = process.env.TENSORAS_API_KEY || vars.TENSORAS_API_KEY;
  // Demo usage beside the mock only: with the real Tensoras, demo prices would price real requests.
  const demoUsage = process.env.DEV_DEMO_USAGE === "1" || (process.env.DEV_DEMO_USAGE !== "0" && !realKey);
  if (demoUsage && !stopping) {
    const { seedDemoUsage } = await import("./lib/demo-usage.mjs");
    const { records } = await seedDemoUsage(localD1(ROOT, persist));
    log(`demo usage: ${records} records over the last 24 h (set DEV_DEMO_USAGE=0 to skip)`);
  }
  if (stopping) return shutdown(130);

  const devArgs = ["dev", "--port", String(port), "--ip", "127.0.0.1", ...persist];
  let upstream;
  if (realKey) {
    // A key only in the environment is not seen by wrangler, which reads .dev.vars.
    if (!vars.TENSORAS_API_KEY) devArgs.push("--var", `TENSORAS_API_KEY:${realKey}`);
    if (process.env.TENSORAS_BASE_URL) devArgs.push("--var", `TENSORAS_BASE_URL:${process.env.TENSORAS_BASE_URL}`);
    upstream = `real Tensoras (${process.env.TENSORAS_BASE_URL || vars.TENSORAS_BASE_URL || "TENSORAS_BASE_URL from wrangler.toml"})`;
  } else {
    const { startMockTensoras } = await import("../mock/tensoras.mjs");
    const started = await startMockTensoras({ apiKey: MOCK_UPSTREAM_KEY, log: logMockRequest });
    mock = started;
    devArgs.push("--var", `TENSORAS_BASE_URL:${started.url}`, "--var", `TENSORAS_API_KEY:${MOCK_UPSTREAM_KEY}`);
    upstream = `mock Tensoras at ${started.url} (no TENSORAS_API_KEY configured; see mock/README.md)`;
  }

  log(`starting wrangler dev on port ${port}…`);
  const wrangler = spawnWrangler(ROOT, [...devArgs, ...extraArgs], { stdio: ["ignore", "inherit", "inherit"], ...groupOptions() });
  devServer = wrangler;
  wrangler.on("exit", (code, signal) => {
    const exitCode = code ?? 128 + (signal ? constants.signals[signal] : 0);
    if (!stopping) log(`wrangler dev exited (${signal ?? `code ${code}`})`);
    shutdown(exitCode);
  });
  const gatewayUrl = `http://127.0.0.1:${port}`;
  const healthy = await waitForHealth(`${gatewayUrl}/healthz`, wrangler, { timeoutMs: HEALTH_TIMEOUT_MS, stopped: () => stopping });
  if (!stopping && wrangler.exitCode === null) banner({ gatewayUrl, upstream, demoKey, healthy });
}

function logMockRequest(request) {
  const events = request.events > 0 ? `, ${request.events} events` : "";
  console.log(`[mock] ${request.method} ${request.path} → ${request.status} ${request.outcome}${events}`);
}

main().catch((error) => {
  if (stopping) return shutdown(130);
  console.error(`[dev] ${error instanceof Error ? error.message : error}`);
  shutdown(1);
});
