/**
 * The operator CLI's spend control and ledger commands against the running gateway:
 * budgets and rate limits set, shown and cleared from the command line, and what the
 * gateway then does with a request; cost in `usage`; `health` and `usage replay`.
 */
import { createServer } from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import { admin, createKey, createTeam, createTeamAndKey, type LedgerRecord, waitForLedger } from "./helpers/admin";
import { cli, detail } from "./helpers/cli";
import { GATEWAY_V1 } from "./helpers/env";

/** A model the mock serves, priced here (no other suite reads codestral's cost). */
const PRICED_MODEL = "codestral-latest";
const PRICE = { input: "1.234567", cached: "0.5", output: "2.5" };

type PricedRecord = LedgerRecord & { cost_micro_usd: number | null; price_id: string | null };

async function chat(key: string, model: string, extra: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${GATEWAY_V1}/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], ...extra }),
  });
}

/** The OpenAI error object of a gateway refusal. */
async function errorOf(response: Response): Promise<{ code: string; type: string; message: string }> {
  return ((await response.clone().json()) as { error: { code: string; type: string; message: string } }).error;
}

/** The request's ledger row, once the queue delivered it. */
async function recorded(keyId: string, response: Response): Promise<PricedRecord> {
  const [record] = await waitForLedger(keyId, response.headers.get("x-request-id") as string);
  return record as PricedRecord;
}

/** A stand-in gateway whose admin API answers `answers[path]` (a degraded ledger cannot be made on demand here). */
async function withFakeAdmin(answers: Record<string, unknown>, run: (url: string) => Promise<void>): Promise<void> {
  const server = createServer((req, res) => {
    const body = answers[(req.url ?? "").replace(/\?.*$/, "")];
    res.writeHead(body === undefined ? 404 : 200, { "content-type": "application/json" });
    res.end(JSON.stringify(body ?? { error: { message: "no such route", type: "invalid_request_error", param: null, code: null } }));
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  try {
    await run(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
  } finally {
    await new Promise<void>((closed) => server.close(closed));
  }
}

/** "1.234567" → 1234567n: USD (or USD per Mtok) as integer millionths. */
function millionths(decimal: string): bigint {
  const [whole = "0", fraction = ""] = decimal.split(".");
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, "0"));
}

/** The README's formula, in integers: ceil(Σ tokens × USD/Mtok) micro-USD. */
function expectedCost(record: PricedRecord): number {
  const uncached = BigInt(record.prompt_tokens - record.cached_tokens) * millionths(PRICE.input);
  const pico =
    uncached + BigInt(record.cached_tokens) * millionths(PRICE.cached) + BigInt(record.completion_tokens) * millionths(PRICE.output);
  return Number((pico + 999_999n) / 1_000_000n);
}

const usd6 = (micro: number) => `${Math.floor(micro / 1e6)}.${String(micro % 1e6).padStart(6, "0")}`;
const nextUtcMonth = () => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)).toISOString();
};

beforeAll(async () => {
  const run = await cli([
    "prices",
    "set",
    PRICED_MODEL,
    ...["--input", PRICE.input, "--cached-input", PRICE.cached, "--output", PRICE.output, "--max-output", "64"],
  ]);
  expect(run.code, run.stderr).toBe(0);
});

describe("operator CLI: budgets", () => {
  it("sets a team's budget with teams set-budget, shows it with its spend and reset in teams show, and removes it with clear-budget", async () => {
    const teamId = await createTeam("cli budget");
    const set = await cli(["teams", "set-budget", teamId, "--limit-usd", "50.00", "--period", "month"]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain(`Set the budget of team ${teamId}: 50.00 USD per UTC month`);

    const show = await cli(["teams", "show", teamId]);
    expect(show.code, show.stderr).toBe(0);
    expect(detail(show.stdout, "budget")).toBe("50.00 USD per UTC month");
    expect(detail(show.stdout, "budget_spent")).toBe("0.00 USD");
    expect(detail(show.stdout, "budget_reserved")).toBe("0.00 USD");
    expect(detail(show.stdout, "budget_resets_at")).toMatch(new RegExp(`^${nextUtcMonth().replaceAll(".", "\\.")} \\(in `));
    expect(detail(show.stdout, "limits")).toBe("none");
    const json = await cli(["teams", "show", teamId, "--json"]);
    expect(JSON.parse(json.stdout).budget).toEqual({
      limit_usd: "50.00",
      period: "month",
      spent_usd: "0.00",
      reserved_usd: "0.00",
      resets_at: nextUtcMonth(),
    });

    const cleared = await cli(["teams", "clear-budget", teamId]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(detail(cleared.stdout, "budget")).toBe("none");
    expect((await admin<{ budget: unknown }>("GET", `/teams/${teamId}`)).budget).toBeNull();

    const bad = await cli(["teams", "set-budget", teamId, "--limit-usd", "1e3", "--period", "day"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: 400 invalid_request: .*\(param: budget\.limit_usd\)/);
  });

  it("shows a key's spend as its requests' cost, and refuses with 429 budget_exceeded a request whose worst case no longer fits", async () => {
    const key = await createTeamAndKey("cli key budget");
    expect((await cli(["keys", "set-budget", key.keyId, "--limit-usd", "1", "--period", "month"])).code).toBe(0);
    const served = await chat(key.key, PRICED_MODEL, { max_tokens: 8 });
    expect(served.status).toBe(200);
    const record = await recorded(key.keyId, served);
    expect(record.cost_micro_usd).toBe(expectedCost(record));

    const show = await cli(["keys", "show", key.keyId, "--json"]);
    const budget = JSON.parse(show.stdout).budget as { spent_usd: string; reserved_usd: string };
    expect(Number(millionths(budget.spent_usd))).toBe(record.cost_micro_usd);
    expect(budget.reserved_usd).toBe("0.00");
    expect(detail((await cli(["keys", "show", key.keyId])).stdout, "budget_spent")).toBe(`${budget.spent_usd} USD`);

    // A limit of exactly what was spent (spend is kept when the budget changes): no worst case fits any more.
    const tight = await cli(["keys", "set-budget", key.keyId, "--limit-usd", usd6(record.cost_micro_usd as number), "--period", "month"]);
    expect(tight.code, tight.stderr).toBe(0);
    const refused = await chat(key.key, PRICED_MODEL, { max_tokens: 8 });
    expect(refused.status).toBe(429);
    expect(await errorOf(refused)).toMatchObject({ code: "budget_exceeded", type: "insufficient_quota" });
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(Math.ceil((Date.parse(nextUtcMonth()) - Date.now()) / 1000) + 1);
    expect(await recorded(key.keyId, refused)).toMatchObject({ outcome: "rejected", status: 429 });

    expect((await cli(["keys", "clear-budget", key.keyId])).code).toBe(0);
    expect((await chat(key.key, PRICED_MODEL, { max_tokens: 8 })).status).toBe(200);
  });
});

describe("operator CLI: rate limits", () => {
  it("refuses a key's second request in a minute with 429 rate_limit_exceeded after keys set-limits --rpm 1, and serves it again after clear-limits", async () => {
    const key = await createTeamAndKey("cli key rpm");
    const set = await cli(["keys", "set-limits", key.keyId, "--rpm", "1"]);
    expect(set.code, set.stderr).toBe(0);
    expect(detail(set.stdout, "requests_per_minute")).toBe("1");
    expect(detail(set.stdout, "tokens_per_minute")).toBe("no limit");

    const first = await chat(key.key, "llama-3.1-8b");
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit-requests")).toBe("1");
    expect(first.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    const second = await chat(key.key, "llama-3.1-8b");
    expect(second.status).toBe(429);
    expect(await errorOf(second)).toMatchObject({ code: "rate_limit_exceeded", type: "requests" });
    const retryAfter = Number(second.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(Number(second.headers.get("retry-after-ms"))).toBeGreaterThan(0);
    expect(await recorded(key.keyId, second)).toMatchObject({ outcome: "rejected", status: 429, usage_source: "none" });

    const cleared = await cli(["keys", "clear-limits", key.keyId]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(detail(cleared.stdout, "limits")).toBe("none");
    const third = await chat(key.key, "llama-3.1-8b");
    expect(third.status).toBe(200);
    expect(third.headers.get("x-ratelimit-limit-requests")).toBeNull();
  });

  it("holds every key of a team to teams set-limits: with --rpm 1 the team's second request is refused whichever key sends it", async () => {
    const teamId = await createTeam("cli team rpm");
    const [a, b] = [await createKey(teamId, { name: "a" }), await createKey(teamId, { name: "b" })];
    const set = await cli(["teams", "set-limits", teamId, "--rpm", "1", "--tpm", "100000"]);
    expect(set.code, set.stderr).toBe(0);
    expect(detail(set.stdout, "tokens_per_minute")).toBe("100,000");

    // max_tokens bounds the output: a token limit needs it on a model with no price.
    expect((await chat(a.key, "llama-3.1-8b", { max_tokens: 8 })).status).toBe(200);
    const refused = await chat(b.key, "llama-3.1-8b", { max_tokens: 8 });
    expect(refused.status).toBe(429);
    const error = await errorOf(refused);
    expect(error).toMatchObject({ code: "rate_limit_exceeded", type: "requests" });
    expect(error.message).toContain("this key's team");

    expect((await cli(["teams", "clear-limits", teamId])).code).toBe(0);
    expect((await chat(b.key, "llama-3.1-8b", { max_tokens: 8 })).status).toBe(200);
  });

  it("exits 2 on a budget or limit mistake, before calling the API", async () => {
    const unreachable = { TGW_URL: "http://127.0.0.1:9" };
    for (const args of [
      ["teams", "set-budget", "team_x", "--limit-usd", "5", "--period", "week"],
      ["teams", "set-budget", "team_x", "--period", "day"],
      ["keys", "set-limits", "key_x"],
      ["keys", "set-limits", "key_x", "--rpm", "0"],
      ["keys", "clear-limits"],
    ]) {
      const run = await cli(args, unreachable);
      expect(run.code, `${args.join(" ")}: ${run.stderr}`).toBe(2);
      expect(run.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
    }
  });
});

describe("operator CLI: cost and the ledger", () => {
  it("prints cost as USD with six decimals from cost_micro_usd, and counts the requests whose model has no price", async () => {
    const key = await createTeamAndKey("cli cost", [PRICED_MODEL]);
    const priced = await recorded(key.keyId, await chat(key.key, PRICED_MODEL));
    const unpricedModel = `cli-unpriced-${crypto.randomUUID().slice(0, 8)}`;
    const refused = await chat(key.key, unpricedModel);
    expect(refused.status).toBe(403);
    expect((await recorded(key.keyId, refused)).cost_micro_usd).toBeNull();
    expect(priced.cost_micro_usd).toBe(expectedCost(priced));
    const cost = usd6(priced.cost_micro_usd as number);

    const run = await cli(["usage", "--key", key.keyId, "--group-by", "model"]);
    expect(run.code, run.stderr).toBe(0);
    const [header, ...rows] = run.stdout.trimEnd().split("\n");
    expect(header?.split(/\s{2,}/)).toEqual([
      "MODEL",
      "REQUESTS",
      "PROMPT",
      "COMPLETION",
      "TOTAL",
      "CACHED",
      "REASONING",
      "COST USD",
      "UNPRICED",
    ]);
    const cells = (model: string) => (rows.find((row) => row.startsWith(`${model} `)) ?? "").trim().split(/\s+/);
    expect(cells(PRICED_MODEL).slice(-2)).toEqual([cost, "0"]);
    expect(cells(unpricedModel).slice(-2)).toEqual(["0.000000", "1"]);
    expect(cells("all").slice(-2)).toEqual([cost, "1"]);

    const events = await cli(["usage", "events", "--key", key.keyId]);
    expect(events.stdout.split("\n")[0]).toContain("COST USD");
    expect(events.stdout).toContain(` ${cost}`);
  });

  it("prints the ledger's health as GET /admin/health reports it, exiting 0 when ok and 4 when degraded", async () => {
    const health = await admin<{ status: string; dead_letters: { count: number } }>("GET", "/health");
    const run = await cli(["health"]);
    expect(run.code, run.stderr).toBe(health.status === "ok" ? 0 : 4);
    expect(detail(run.stdout, "status")).toBe(health.status);
    expect(detail(run.stdout, "dead_letters")).toBe(String(health.dead_letters.count));
    expect(detail(run.stdout, "interrupted_after")).toBe("3,600 s");
    const json = await cli(["health", "--json"]);
    expect(Object.keys(JSON.parse(json.stdout)).sort()).toEqual(["dead_letters", "ledger", "started_requests", "status"]);
  });

  it("exits 4 with what to do when the health is degraded, and when a replay leaves letters it could not apply", async () => {
    const degraded = {
      status: "degraded",
      ledger: { last_recorded_at: null, lag_ms: { p50: null, max: null, rows: 0 } },
      dead_letters: { count: 2, oldest_parked_at: "2026-12-01T10:00:00.000Z" },
      started_requests: {
        open: 1,
        oldest_started_at: "2026-12-01T08:00:00.000Z",
        oldest_age_seconds: 7200,
        interrupted_after_seconds: 3600,
      },
    };
    const replay = { replayed: 1, failed: [{ message_id: "m-1", request_id: "r-1", error: "replay failed: D1 down" }], remaining: 1 };
    await withFakeAdmin({ "/admin/health": degraded, "/admin/usage/replay": replay }, async (url) => {
      const health = await cli(["health"], { TGW_URL: url });
      expect(health.code).toBe(4);
      expect(detail(health.stdout, "status")).toBe("degraded");
      expect(detail(health.stdout, "dead_letters")).toBe("2");
      expect(health.stdout).toContain("npm run admin -- usage replay");
      expect(health.stdout).toContain("no record for longer than INTERRUPTED_AFTER_SECONDS");
      const replayed = await cli(["usage", "replay"], { TGW_URL: url });
      expect(replayed.code).toBe(4);
      expect(replayed.stdout).toContain("Replayed 1 dead letter; 1 still parked.");
      expect(replayed.stdout).toMatch(/^m-1\s+r-1\s+replay failed: D1 down$/m);
    });
  });

  it("replays parked dead letters with usage replay and says how many remain", async () => {
    const run = await cli(["usage", "replay", "--limit", "10"]);
    expect(run.code, run.stderr).toBe(0);
    // Nothing in this suite's ledger fails ten times: nothing is parked.
    expect(run.stdout).toBe("Replayed 0 dead letters; none left parked.\n");
    const json = await cli(["usage", "replay", "--json"]);
    expect(JSON.parse(json.stdout)).toEqual({ replayed: 0, failed: [], remaining: 0 });
    const bad = await cli(["usage", "replay", "--limit", "5000"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: 400 invalid_request: .*\(param: limit\)/);
  });
});
