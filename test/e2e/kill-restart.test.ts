/**
 * Issue 12, item 2, the hard way: the gateway's process dies with streams in flight
 * (SIGKILL: a crash, an eviction; SIGTERM: a deploy, Ctrl-C), comes back on the same
 * state, and the sweep finds every request it had started: each gets exactly one
 * `interrupted` record, its prompt estimated, and no started note stays open.
 *
 * This file kills its gateway, so it runs its own `wrangler dev` (its own port,
 * persist directory and process group: helpers/gateway-process.mjs) against its own
 * mock Tensoras in this process; the shared gateway of scripts/e2e.mjs is not used.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanUpGateways, type GatewayState, prepareGatewayState, startGateway, startMockTensoras } from "./helpers/gateway-process.mjs";

const STREAMS = 10;
/** 200 events 50 ms apart: a 10 s stream, still running when the gateway dies. */
const SLOW_STREAM = { "x-mock-events": "200", "x-mock-interval-ms": "50" };
const INTERRUPTED_AFTER_SECONDS = 2;
const NOTE_TIMEOUT_MS = 10_000;
const SCENARIO_TIMEOUT_MS = 45_000;
const SCHEDULED_PATH = "/__scheduled?cron=*/5+*+*+*+*";
const UPSTREAM_KEY = `mock-upstream-${crypto.randomUUID()}`;
const ADMIN_TOKEN = `e2e-kill-admin-${crypto.randomUUID()}`;

interface Ledger {
  request_id: string;
  team_id: string;
  key_id: string;
  endpoint: string;
  stream: boolean;
  status: number;
  outcome: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  usage_source: string;
}

interface Health {
  started_requests: { open: number; interrupted_after_seconds: number };
}

/** How a client's stream ended: `complete` means it saw `[DONE]`, which a killed gateway cannot send. */
type StreamEnd = "errored" | "ended-early" | "complete";

interface InFlight {
  requestId: string;
  end: Promise<StreamEnd>;
}

let mock: Awaited<ReturnType<typeof startMockTensoras>>;
let state: GatewayState;

beforeAll(async () => {
  [mock, state] = await Promise.all([startMockTensoras({ apiKey: UPSTREAM_KEY, keepRaw: false }), prepareGatewayState()]);
}, 60_000);

afterAll(async () => {
  // Pass or fail, no wrangler or workerd outlives the file.
  await cleanUpGateways();
  await mock?.close();
});

const gatewayVars = () => ({
  TENSORAS_BASE_URL: mock.url,
  TENSORAS_API_KEY: UPSTREAM_KEY,
  ADMIN_TOKEN,
  INTERRUPTED_AFTER_SECONDS: String(INTERRUPTED_AFTER_SECONDS),
});

async function admin<T>(gatewayUrl: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${gatewayUrl}/admin${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`admin ${method} ${path} → ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function mintKey(gatewayUrl: string, label: string): Promise<{ teamId: string; keyId: string; key: string }> {
  const team = await admin<{ id: string }>(gatewayUrl, "POST", "/teams", { name: `e2e kill ${label} ${crypto.randomUUID().slice(0, 8)}` });
  const key = await admin<{ id: string; key: string }>(gatewayUrl, "POST", `/teams/${team.id}/keys`, { name: label });
  return { teamId: team.id, keyId: key.id, key: key.key };
}

async function ledgerFor(gatewayUrl: string, keyId: string): Promise<Ledger[]> {
  const page = await admin<{ data: Ledger[]; next_cursor: string | null }>(gatewayUrl, "GET", `/usage/events?key_id=${keyId}&limit=1000`);
  expect(page.next_cursor, "one page holds every record of the key").toBeNull();
  return page.data;
}

const openStarted = async (gatewayUrl: string) => (await admin<Health>(gatewayUrl, "GET", "/health")).started_requests.open;

/** Reads the rest of a stream as a client would; how it ends tells whether the gateway really died. */
async function readToEnd(reader: ReadableStreamDefaultReader<Uint8Array>, first: Uint8Array): Promise<StreamEnd> {
  const decoder = new TextDecoder();
  let text = decoder.decode(first, { stream: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text.includes("data: [DONE]") ? "complete" : "ended-early";
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    return "errored";
  }
}

/** Starts one slow stream and returns once its first chunk arrived (the gateway is then forwarding it). */
async function startSlowStream(gatewayUrl: string, key: string, n: number): Promise<InFlight> {
  const response = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...SLOW_STREAM },
    body: JSON.stringify({
      model: "llama-3.1-8b",
      stream: true,
      messages: [{ role: "user", content: `Stream ${n}: tell me a long story about a gateway that never loses a bill.` }],
    }),
  });
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const first = await reader.read();
  expect(first.done, "the stream's first chunk").toBe(false);
  const requestId = response.headers.get("x-request-id") ?? "";
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  return { requestId, end: readToEnd(reader, first.value as Uint8Array) };
}

/**
 * Waits until the started notes are in D1. Miniflare's local queue broker is in memory
 * only (node_modules/miniflare/dist/src/index.js: "Miniflare's Queue broker is in-memory
 * only at the moment") and a local batch waits up to 1 s, so a note still in the queue
 * dies with the process: the kill must come after delivery. In production the queue is
 * durable and this wait does not exist.
 */
async function waitForOpenStarted(gatewayUrl: string, expected: number): Promise<void> {
  const deadline = Date.now() + NOTE_TIMEOUT_MS;
  let open = await openStarted(gatewayUrl);
  while (open < expected) {
    if (Date.now() > deadline) throw new Error(`${open} of ${expected} started notes reached D1 within ${NOTE_TIMEOUT_MS} ms`);
    await new Promise((done) => setTimeout(done, 100));
    open = await openStarted(gatewayUrl);
  }
  expect(open).toBe(expected);
}

async function killMidStreamAndRecover(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
  const gateway = await startGateway(state, gatewayVars());
  const key = await mintKey(gateway.url, signal);
  const openBefore = await openStarted(gateway.url);
  const inFlight = await Promise.all(Array.from({ length: STREAMS }, (_, n) => startSlowStream(gateway.url, key.key, n)));
  const ids = inFlight.map((stream) => stream.requestId);
  expect(new Set(ids).size).toBe(STREAMS);
  await waitForOpenStarted(gateway.url, openBefore + STREAMS);

  const stopped = await gateway.stop(signal);
  expect(stopped.forced, `wrangler dev exited on ${signal} alone`).toBe(false);
  const ends = await Promise.all(inFlight.map((stream) => stream.end));
  expect(
    ends.filter((end) => end === "complete"),
    "no client got the whole stream from a dead gateway",
  ).toEqual([]);
  const upstream = mock.requests.filter((record) => record.id !== null && ids.includes(record.id));
  expect(upstream, "each request reached Tensoras once").toHaveLength(STREAMS);
  // The dead gateway's connections closed, so Tensoras stopped generating for them.
  await expect.poll(() => upstream.map((record) => record.outcome)).toEqual(upstream.map(() => "client-closed"));

  const restarted = await startGateway(state, gatewayVars());
  const sweep = await fetch(`${restarted.url}${SCHEDULED_PATH}`);
  await sweep.body?.cancel();
  expect(sweep.status, "/__scheduled ran the Cron Trigger").toBe(200);

  const records = await ledgerFor(restarted.url, key.keyId);
  expect(records.map((record) => record.request_id).sort(), "exactly one record per started request").toEqual([...ids].sort());
  for (const record of records) {
    expect(record).toMatchObject({
      team_id: key.teamId,
      key_id: key.keyId,
      endpoint: "/v1/chat/completions",
      stream: true,
      outcome: "interrupted",
      status: 0,
      usage_source: "estimated",
      completion_tokens: 0,
    });
    expect(record.prompt_tokens, "never silently zero: the prompt is estimated").toBeGreaterThan(0);
    expect(record.total_tokens).toBe(record.prompt_tokens);
  }
  expect(await openStarted(restarted.url), "no started note of theirs stays open").toBe(openBefore);
  await restarted.stop("SIGKILL");
}

describe("a gateway killed with streams in flight", () => {
  it(
    "records every started request as interrupted after a SIGKILL, a restart on the same state and the sweep",
    () => killMidStreamAndRecover("SIGKILL"),
    SCENARIO_TIMEOUT_MS,
  );

  it(
    "records every started request as interrupted after a SIGTERM, a restart on the same state and the sweep",
    () => killMidStreamAndRecover("SIGTERM"),
    SCENARIO_TIMEOUT_MS,
  );
});
