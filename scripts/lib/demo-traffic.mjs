/**
 * A day of made-up traffic for the demo keys of `npm run dev` (scripts/lib/demo-usage.mjs
 * writes it to the ledger): how busy each UTC hour is, which key sends what (after the weights
 * of scripts/lib/demo-catalogue.mjs), and how each request ends, as the gateway would record it.
 *
 * Pure and deterministic: request `index` of an hour is a function of that hour and index
 * alone (a PRNG seeded by both), so a re-run produces the same rows and request ids, and a
 * run the next day produces the new hours' rows. No Node or Workers API: the unit test
 * imports it inside workerd.
 */
import { CHAT, DEMO_WORKLOADS } from "./demo-catalogue.mjs";
import { prng } from "./prng.mjs";

export const HOUR_MS = 3_600_000;
/** Requests in the busiest hour (about 2,000 a day): the dev start must stay fast. */
const PEAK_REQUESTS_PER_HOUR = 160;
/** Share of the peak for each UTC hour of the day: quiet at night, busiest early afternoon. */
const DAILY_CURVE = [
  0.12, 0.1, 0.09, 0.09, 0.1, 0.14, 0.22, 0.35, 0.55, 0.75, 0.9, 0.97, 1, 1, 0.98, 0.95, 0.9, 0.8, 0.65, 0.5, 0.38, 0.28, 0.2, 0.15,
];
/** The UTC hour of the day in which the upstream misbehaves, so any 24 h of the demo shows one bad hour. */
export const BAD_UPSTREAM_HOUR = 10;
/** Request ids carry the index in UUIDv7's 12-bit rand_a: ids are distinct within an hour by construction. */
const MAX_REQUESTS_PER_HOUR = 4096;

const REASONING_MODELS = new Set(["deepseek-r1-distill-70b"]);

/** FNV-1a: a 32-bit seed from text. */
function seedOf(text) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** The seeded PRNG (scripts/lib/prng.mjs) of a text: the same text, the same draws. */
function seededRandom(text) {
  return prng(seedOf(text));
}

const between = (random, [min, max]) => min + Math.floor(random() * (max - min + 1));
/** Skewed to the low end, as token counts are: many short requests, a few long ones. */
const skewed = (random, [min, max]) => min + Math.floor(random() * random() * (max - min + 1));

function weighted(random, choices, weightOf) {
  const total = choices.reduce((sum, choice) => sum + weightOf(choice), 0);
  let at = random() * total;
  for (const choice of choices) {
    at -= weightOf(choice);
    if (at < 0) return choice;
  }
  return choices[choices.length - 1];
}

const hex = (value, length) => value.toString(16).padStart(length, "0");

/**
 * A UUIDv7 (RFC 9562) at `ms`, as the gateway's request ids are, with rand_a = `counter` and
 * rand_b from `random`: time-ordered like the real ones, and reproducible.
 */
export function demoUuidV7(ms, counter, random) {
  const time = hex(ms, 12);
  const variant = hex(0x8000 | Math.floor(random() * 0x4000), 4);
  const tail = hex(Math.floor(random() * 0x1_0000_0000), 8) + hex(Math.floor(random() * 0x1_0000), 4);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${hex(counter & 0xfff, 3)}-${variant}-${tail}`;
}

/** A reproducible UUIDv7 at `ms` for a fixed demo object (a price version). */
export function demoObjectId(ms, name) {
  return demoUuidV7(ms, 0, seededRandom(`object ${name}`));
}

/** How many demo requests start in the hour beginning at `hourStart` (epoch ms, a whole UTC hour). */
export function requestsInHour(hourStart) {
  const random = seededRandom(`hour ${hourStart}`);
  const share = DAILY_CURVE[new Date(hourStart).getUTCHours()] ?? 1;
  return Math.min(MAX_REQUESTS_PER_HOUR, Math.round(PEAK_REQUESTS_PER_HOUR * share * (0.85 + 0.3 * random())));
}

function outcomeOf(random, workload, badHour) {
  const draw = random();
  if (draw < (workload.rejected ?? 0)) return "rejected";
  const rest = random();
  if (badHour) return rest < 0.3 ? "upstream_error" : rest < 0.48 ? "upstream_unreachable" : rest < 0.52 ? "client_aborted" : "completed";
  if (rest < 0.005) return "upstream_error";
  if (rest < 0.007) return "upstream_unreachable";
  return rest < (workload.stream ? 0.06 : 0.012) ? "client_aborted" : "completed";
}

const NO_USAGE = { prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, reasoning_tokens: 0, usage_source: "none" };

/** The gateway's own estimate when usage never came: the prompt from its text, one token per streamed event. */
function estimated(random, prompt, completion) {
  return {
    prompt_tokens: Math.round(prompt * (0.9 + 0.2 * random())),
    completion_tokens: completion,
    cached_tokens: 0,
    reasoning_tokens: 0,
    usage_source: "estimated",
  };
}

/** Status, usage, finish reason and timings, as the gateway would record a request that ended in `outcome`. */
function ending(random, workload, model, outcome) {
  const chat = workload.endpoint === CHAT;
  const prompt = skewed(random, workload.prompt);
  const completion = chat ? skewed(random, workload.completion) : 0;
  const msPerToken = between(random, chat ? [8, 28] : [0, 0]);
  const ttfb = between(random, workload.stream ? [150, 700] : [40, 250]);
  const streamed = Math.floor(completion * (0.1 + 0.7 * random()));
  if (outcome === "rejected") return { status: 429, finish_reason: null, ...NO_USAGE, ttfb_ms: null, duration_ms: between(random, [1, 6]) };
  if (outcome === "upstream_unreachable")
    return { status: 502, finish_reason: null, ...NO_USAGE, ttfb_ms: null, duration_ms: between(random, [20, 3000]) };
  if (outcome === "upstream_error" && workload.stream && random() < 0.5) {
    // The stream broke off mid-way: the status was already sent, usage is the gateway's estimate.
    return {
      status: 200,
      finish_reason: null,
      ...estimated(random, prompt, streamed),
      ttfb_ms: ttfb,
      duration_ms: ttfb + streamed * msPerToken,
    };
  }
  if (outcome === "upstream_error") {
    const duration = between(random, [60, 2500]);
    return {
      status: weighted(random, [500, 502, 503], () => 1),
      finish_reason: null,
      ...NO_USAGE,
      ttfb_ms: duration,
      duration_ms: duration,
    };
  }
  if (outcome === "client_aborted") {
    // A JSON client that leaves is billed its prompt only: nothing reached it to count.
    const cut = workload.stream ? streamed : 0;
    return { status: 200, finish_reason: null, ...estimated(random, prompt, cut), ttfb_ms: ttfb, duration_ms: ttfb + cut * msPerToken };
  }
  const cached = workload.cached && random() < 0.7 ? Math.floor(prompt * workload.cached * random()) : 0;
  const reasoning = REASONING_MODELS.has(model) ? Math.floor(completion * (0.4 + 0.3 * random())) : 0;
  const finish = !chat ? null : random() < 0.05 ? "length" : workload.tools && random() < 0.12 ? "tool_calls" : "stop";
  const usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    cached_tokens: cached,
    reasoning_tokens: reasoning,
    usage_source: "upstream",
  };
  const generation = completion * msPerToken;
  // A JSON answer's headers come with the whole body: its first byte is (nearly) its end.
  const duration = workload.stream ? ttfb + generation : ttfb + generation + between(random, [0, 3]);
  return {
    status: 200,
    finish_reason: finish,
    ...usage,
    ttfb_ms: workload.stream ? ttfb : duration - between(random, [0, 3]),
    duration_ms: duration,
  };
}

/**
 * Request `index` of the hour starting at `hourStart`: an unpriced usage record without its
 * team (the caller takes it from the key's row), and when the ledger wrote it (epoch ms).
 */
export function demoRequest(hourStart, index) {
  const random = seededRandom(`request ${hourStart} ${index}`);
  const startedAt = hourStart + Math.floor(random() * HOUR_MS);
  const workload = weighted(random, DEMO_WORKLOADS, (w) => w.weight);
  const [model] = weighted(random, workload.models, ([, weight]) => weight);
  const badHour = new Date(hourStart).getUTCHours() === BAD_UPSTREAM_HOUR;
  const outcome = outcomeOf(random, workload, badHour);
  const end = ending(random, workload, model, outcome);
  const record = {
    request_id: demoUuidV7(startedAt, index, random),
    key_id: workload.key,
    endpoint: workload.endpoint,
    model,
    stream: workload.stream,
    outcome,
    ...end,
    total_tokens: end.prompt_tokens + end.completion_tokens,
    started_at: new Date(startedAt).toISOString(),
  };
  // The local queue delivers a batch about a second after the request ends.
  return { record, recordedAt: startedAt + end.duration_ms + between(random, [800, 1600]) };
}
