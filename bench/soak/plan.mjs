// The soak's load, decided up front from one seed: what each request asks for, what the
// mock upstream does to it (x-mock-* knobs) and what the client does (read it all, or
// abort at a point). The same seed and count give the same plan, byte for byte.

import { prng } from "../../scripts/lib/prng.mjs";

export const MODELS = ["llama-3.3-70b", "llama-3.1-8b", "qwen-3-32b", "mistral-7b-instruct", "deepseek-r1-distill-70b", "codestral-latest"];
const WORDS = "the gateway meters every request it forwards and bills what upstream generated under faults".split(" ");

/** Shares of the load (issue 12): 20 % client aborts, 5 % drops, 5 % 5xx, 5 % error events, some slow. */
export const MIX = {
  abort: 0.2,
  drop: 0.05,
  status5xx: 0.05,
  errorEvent: 0.05,
  slow: 0.1,
  delayedHeaders: 0.05,
  chat: 0.8,
  completions: 0.15, // the rest: embeddings
  streamed: 0.7,
};

function text(rand, maxWords) {
  const n = 1 + Math.floor(rand() * maxWords);
  return Array.from({ length: n }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(" ");
}

const pick = (rand, list) => list[Math.floor(rand() * list.length)];

/** One request: its shape, the upstream's behaviour and the client's. */
function planItem(rand, i, keyCount) {
  const r = Array.from({ length: 16 }, () => rand());
  const fault =
    r[0] < MIX.status5xx
      ? "5xx"
      : r[0] < MIX.status5xx + MIX.drop
        ? "drop"
        : r[0] < MIX.status5xx + MIX.drop + MIX.errorEvent
          ? "error-event"
          : "none";
  let endpoint = r[1] < MIX.chat ? "chat" : r[1] < MIX.chat + MIX.completions ? "completions" : "embeddings";
  // An error event is an SSE event: it needs a stream.
  if (fault === "error-event" && endpoint === "embeddings") endpoint = "chat";
  const stream = endpoint !== "embeddings" && (fault === "error-event" || r[2] < MIX.streamed);
  const slow = r[3] < MIX.slow;
  const events = 4 + Math.floor(r[4] * 28);
  const intervalMs = slow ? 20 + Math.floor(r[5] * 80) : Math.floor(r[5] * 4);
  const delayHeadersMs = r[6] < MIX.delayedHeaders ? 50 + Math.floor(r[7] * 450) : 0;
  const model = MODELS[Math.floor(r[8] * MODELS.length)];
  const keyIndex = Math.floor(r[9] * keyCount);
  const prompt = text(rand, 60);

  const headers = { "x-mock-events": String(events), "x-mock-interval-ms": String(intervalMs) };
  if (delayHeadersMs) headers["x-mock-delay-headers-ms"] = String(delayHeadersMs);
  if (fault === "5xx") headers["x-mock-status"] = String(pick(rand, [500, 502, 503]));
  if (fault === "drop") headers["x-mock-fail-after"] = String(1 + Math.floor(r[10] * events));
  if (fault === "error-event") headers["x-mock-error-event-after"] = String(1 + Math.floor(r[10] * events));
  if (stream && r[11] < 0.3) headers["x-mock-usage-style"] = "openai";

  let path;
  let body;
  if (endpoint === "embeddings") {
    path = "/v1/embeddings";
    body = { model, input: r[12] < 0.5 ? prompt : [prompt, text(rand, 10)] };
  } else {
    path = endpoint === "chat" ? "/v1/chat/completions" : "/v1/completions";
    body = endpoint === "chat" ? { model, messages: [{ role: "user", content: prompt }] } : { model, prompt };
    body.stream = stream;
    // The client's own include_usage (the gateway then injects nothing, and withholds nothing).
    if (stream && r[12] < 0.3) body.stream_options = { include_usage: true };
    if (r[13] < 0.1) body.max_tokens = 2 + Math.floor(r[14] * events);
  }

  // The client: 20 % abort, at a random event, on [DONE] (as most SDKs do: they close the
  // stream without reading its end), or at a random time (before the headers too).
  let abort = null;
  if (r[15] < MIX.abort) {
    const expectedMs = delayHeadersMs + events * intervalMs + 30;
    const how = stream ? rand() : 1;
    if (how < 0.15) abort = { onDone: true };
    else if (how < 0.5) abort = { afterEvents: Math.floor(rand() * (events + 3)) };
    else abort = { afterMs: Math.floor(rand() * expectedMs) };
  }
  return { i, path, body, headers, stream, fault, slow, keyIndex, abort, long: false };
}

/**
 * A stream that outlives INTERRUPTED_AFTER_SECONDS: the sweep closes it as `interrupted`
 * mid-run, and its final record must then supersede that row.
 */
function longItem(i, keyIndex, seconds) {
  return {
    i,
    path: "/v1/chat/completions",
    body: { model: "llama-3.3-70b", stream: true, messages: [{ role: "user", content: `a long stream, number ${i}` }] },
    headers: { "x-mock-events": String(seconds), "x-mock-interval-ms": "1000" },
    stream: true,
    fault: "none",
    slow: true,
    keyIndex,
    abort: null,
    long: true,
  };
}

/**
 * A request that is still open when the runtime is killed: a slow stream (chat or
 * completions), or a plain request whose answer has not started (headers delayed).
 */
function killItem(i, keyIndex, n) {
  const kind = ["chat", "completions", "waiting"][n % 3];
  const path = kind === "completions" ? "/v1/completions" : "/v1/chat/completions";
  const prompt = `in flight at the kill, number ${i}`;
  const body =
    kind === "completions"
      ? { model: "llama-3.1-8b", prompt, stream: true }
      : { model: "qwen-3-32b", messages: [{ role: "user", content: prompt }], stream: kind === "chat" };
  const headers = kind === "waiting" ? { "x-mock-delay-headers-ms": "8000" } : { "x-mock-events": "60", "x-mock-interval-ms": "100" };
  return {
    i,
    path,
    body,
    headers,
    stream: kind !== "waiting",
    fault: "none",
    slow: true,
    keyIndex,
    abort: null,
    long: false,
    atKill: true,
  };
}

/** `count` requests; `longAt` indexes become long streams of `longSeconds`, `killAt` ones the kill cohort. */
export function makePlan({ seed, count, keyCount, longAt = [], longSeconds = 30, killAt = [] }) {
  const rand = prng(seed);
  const longs = new Set(longAt);
  const kills = new Map(killAt.map((i, n) => [i, n]));
  return Array.from({ length: count }, (_, i) => {
    const item = planItem(rand, i, keyCount);
    if (longs.has(i)) return longItem(i, item.keyIndex, longSeconds);
    if (kills.has(i)) return killItem(i, item.keyIndex, kills.get(i));
    return item;
  });
}
