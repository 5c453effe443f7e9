// Realistic ledger rows for bench/ledger.mjs: UUIDv7 request ids, `team_<uuidv7>` and
// `key_<uuidv7>` ids, Tensoras model names, ISO times, tokens and costs of plausible sizes.
// Seeded, so that two runs measure the same rows.

import { prng } from "../../scripts/lib/prng.mjs";
import { COLUMNS } from "../../src/db/usage-events.ts";

/** The cardinality the capacity plan assumes (docs/capacity.md): 50 teams × 10 keys, 6 models, 3 outcomes. */
export const TEAMS = 50;
export const KEYS_PER_TEAM = 10;
export const MODELS = [
  // [name, weight, micro-USD per input token, per output token]
  ["llama-3.3-70b", 35, 0.59, 0.79],
  ["llama-3.1-8b", 25, 0.05, 0.08],
  ["qwen-3-32b", 15, 0.29, 0.59],
  ["mistral-7b-instruct", 10, 0.1, 0.1],
  ["deepseek-r1-distill-70b", 10, 0.75, 0.99],
  ["codestral-latest", 5, 0.3, 0.9],
];
export const OUTCOMES = [
  ["completed", 95],
  ["client_aborted", 3],
  ["upstream_error", 2],
];
export const ROLLUP_COMBINATIONS = TEAMS * KEYS_PER_TEAM * MODELS.length * OUTCOMES.length;

/** The ledger's columns (src/db/usage-events.ts, the one list), then recorded_at. */
export const ROW_COLUMNS = [...COLUMNS, "recorded_at"];

const hex = (value, digits) => Math.floor(value).toString(16).padStart(digits, "0");

/** A UUIDv7 (RFC 9562) for `ms`, its random bits from `random`: the same text shape as uuid's v7(). */
export function uuidv7(ms, random) {
  const time = hex(ms, 12);
  const randA = hex(random() * 0x1000, 3);
  const variant = (8 + Math.floor(random() * 4)).toString(16);
  const randB = hex(random() * 0x1000, 3) + hex(random() * 0x10000, 4) + hex(random() * 0x10000, 4) + hex(random() * 0x10000, 4);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randA}-${variant}${randB.slice(0, 3)}-${randB.slice(3, 15)}`;
}

/** Cumulative weights → a picker of an index. */
function weighted(weights) {
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative = [];
  let sum = 0;
  for (const w of weights) {
    sum += w / total;
    cumulative.push(sum);
  }
  return (r) => {
    for (let i = 0; i < cumulative.length; i++) if (r < cumulative[i]) return i;
    return cumulative.length - 1;
  };
}

/** Zipf (s = 1) over n: a few big teams and keys, many small ones, as real tenants are. */
const zipf = (n) => weighted(Array.from({ length: n }, (_, i) => 1 / (i + 1)));

/** Around `median`, long-tailed (log-normal-ish), at most `max`. */
function tokens(random, median, max) {
  const gauss = (random() + random() + random() + random() - 2) * 1.2;
  return Math.min(max, Math.max(1, Math.round(median * Math.exp(gauss))));
}

/** The tenants: team ids, their keys, one price id per model. `share` is each team's expected fraction of requests. */
export function tenants(seed = 1) {
  const random = prng(seed);
  const created = Date.parse("2026-06-01T00:00:00Z");
  const pickTeamWeight = Array.from({ length: TEAMS }, (_, i) => 1 / (i + 1));
  const totalWeight = pickTeamWeight.reduce((a, b) => a + b, 0);
  const teams = Array.from({ length: TEAMS }, (_, t) => ({
    id: `team_${uuidv7(created + t * 86_400_000, random)}`,
    name: `team-${String(t + 1).padStart(2, "0")}`,
    share: pickTeamWeight[t] / totalWeight,
    keys: Array.from({ length: KEYS_PER_TEAM }, (_, k) => ({
      id: `key_${uuidv7(created + t * 86_400_000 + (k + 1) * 60_000, random)}`,
      name: `key-${k + 1}`,
    })),
  }));
  const prices = MODELS.map((_model, i) => `price_${uuidv7(created + i * 1000, random)}`);
  return { teams, prices };
}

/**
 * A generator of `count` rows, started_at spread evenly (with jitter) over [fromMs, toMs),
 * in time order (so in request_id order, as the gateway writes them).
 */
export function* ledgerRows({ count, fromMs, toMs, seed = 7, world = tenants() }) {
  const random = prng(seed);
  const pickTeam = zipf(TEAMS);
  const pickKey = zipf(KEYS_PER_TEAM);
  const pickModel = weighted(MODELS.map((m) => m[1]));
  const pickOutcome = weighted(OUTCOMES.map((o) => o[1]));
  const step = (toMs - fromMs) / count;
  for (let i = 0; i < count; i++) {
    const startedMs = Math.floor(fromMs + (i + random() * 0.999) * step);
    yield rowAt(startedMs, random, world, { pickTeam, pickKey, pickModel, pickOutcome });
  }
}

function rowAt(startedMs, random, world, pick) {
  const team = world.teams[pick.pickTeam(random())];
  const key = team.keys[pick.pickKey(random())];
  const m = pick.pickModel(random());
  const [model, , inPrice, outPrice] = MODELS[m];
  const outcome = OUTCOMES[pick.pickOutcome(random())][0];
  const chat = random() < 0.95;
  const stream = chat && random() < 0.7;
  const failed = outcome === "upstream_error";
  const prompt = failed ? 0 : tokens(random, 800, 120_000);
  const completion = failed ? 0 : outcome === "client_aborted" ? tokens(random, 60, 4000) : tokens(random, 250, 16_000);
  const cached = !failed && random() < 0.3 ? Math.floor(prompt * 0.5) : 0;
  const reasoning = model.startsWith("deepseek-r1") ? Math.floor(completion * 0.4) : 0;
  const ttfb = failed ? null : 150 + Math.floor(random() * 1350);
  const duration = (ttfb ?? 0) + Math.floor(random() * (stream ? 29_000 : 9_500)) + 50;
  const finish =
    outcome !== "completed"
      ? null
      : ["stop", "stop", "stop", "stop", "stop", "stop", "stop", "stop", "length", "tool_calls"][Math.floor(random() * 10)];
  return {
    request_id: uuidv7(startedMs, random),
    team_id: team.id,
    key_id: key.id,
    endpoint: chat ? "/v1/chat/completions" : "/v1/completions",
    model,
    stream,
    status: failed ? [500, 502, 503, 429][Math.floor(random() * 4)] : 200,
    outcome,
    finish_reason: finish,
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    cached_tokens: cached,
    reasoning_tokens: reasoning,
    usage_source: failed ? "none" : outcome === "client_aborted" ? "estimated" : "upstream",
    started_at: new Date(startedMs).toISOString(),
    ttfb_ms: ttfb,
    duration_ms: duration,
    cost_micro_usd: Math.ceil((prompt - cached) * inPrice + cached * inPrice * 0.5 + completion * outPrice),
    price_id: world.prices[m],
    recorded_at: startedMs + duration + 300 + Math.floor(random() * 1500),
  };
}

/** The row as a queue message body (a UsageRecord: stream a boolean, no recorded_at, which the consumer sets). */
export function usageMessageBody(row) {
  const { recorded_at: _recordedAt, ...record } = row;
  return record;
}

/** The row's values in ROW_COLUMNS order, for SQLite (stream as 0/1). */
export function rowValues(row) {
  return ROW_COLUMNS.map((c) => (c === "stream" ? (row.stream ? 1 : 0) : row[c]));
}
