import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import type { ScopePolicy } from "../../src/limits/policy";
import { STALE_RESERVATION_MS, WINDOW_MS } from "../../src/limits/team-limits";

function limiter(teamId = `team_${crypto.randomUUID()}`) {
  return env.TEAM_LIMITS.getByName(teamId);
}

const teamBudget = (limitMicroUsd: number, period: "day" | "month" | "total" = "month"): ScopePolicy => ({
  scope: "team",
  budget: { limitMicroUsd, period },
  limits: null,
});
const keyLimits = (key: string, requestsPerMinute: number | null, tokensPerMinute: number | null = null): ScopePolicy => ({
  scope: key,
  budget: null,
  limits: { requestsPerMinute, tokensPerMinute },
});

const NOW = Date.UTC(2026, 11, 15, 12, 0, 0);

describe("TeamLimits budgets", () => {
  it("admits exactly 50 of 200 concurrent reservations when the budget fits 50 worst cases", async () => {
    const stub = limiter();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        stub.reserve({ requestId: `r${i}`, nowMs: NOW, scopes: [teamBudget(50 * 1234)], costMicroUsd: 1234, tokens: 10 }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    const refused = results.filter((r) => !r.ok);
    expect(refused).toHaveLength(150);
    expect(refused[0]).toMatchObject({ refusal: "budget", scope: "team" });
    const status = await stub.budgetStatus("team", "month", NOW);
    expect(status.reservedMicroUsd).toBe(50 * 1234);
    expect(status.spentMicroUsd + status.reservedMicroUsd).toBeLessThanOrEqual(50 * 1234);
  });

  it("holds a team budget when two keys of the team race, each with a budget of its own", async () => {
    const stub = limiter();
    const scopesFor = (key: string): ScopePolicy[] => [
      teamBudget(30 * 100),
      { scope: key, budget: { limitMicroUsd: 25 * 100, period: "month" }, limits: null },
    ];
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => {
        const key = i % 2 === 0 ? "key_a" : "key_b";
        return stub.reserve({ requestId: `r${i}`, nowMs: NOW, scopes: scopesFor(key), costMicroUsd: 100, tokens: 1 });
      }),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(30);
    const a = await stub.budgetStatus("key_a", "month", NOW);
    const b = await stub.budgetStatus("key_b", "month", NOW);
    expect(a.reservedMicroUsd).toBeLessThanOrEqual(2500);
    expect(b.reservedMicroUsd).toBeLessThanOrEqual(2500);
    expect(a.reservedMicroUsd + b.reservedMicroUsd).toBe(3000);
  });

  it("settles a reservation to the real cost, once, and frees what the worst case held", async () => {
    const stub = limiter();
    expect((await stub.reserve({ requestId: "r1", nowMs: NOW, scopes: [teamBudget(1000)], costMicroUsd: 900, tokens: 5 })).ok).toBe(true);
    expect((await stub.reserve({ requestId: "r2", nowMs: NOW, scopes: [teamBudget(1000)], costMicroUsd: 900, tokens: 5 })).ok).toBe(false);

    expect(await stub.settle({ requestId: "r1", costMicroUsd: 120, tokens: 3 })).toBe(true);
    expect(await stub.settle({ requestId: "r1", costMicroUsd: 120, tokens: 3 })).toBe(false);

    expect(await stub.budgetStatus("team", "month", NOW)).toEqual({
      spentMicroUsd: 120,
      reservedMicroUsd: 0,
      resetsAt: Date.UTC(2027, 0, 1),
    });
    expect((await stub.reserve({ requestId: "r2", nowMs: NOW, scopes: [teamBudget(1000)], costMicroUsd: 880, tokens: 5 })).ok).toBe(true);
  });

  it("refuses until the period resets, with Retry-After to the reset, and admits again in the next day", async () => {
    const stub = limiter();
    const lateToday = Date.UTC(2026, 11, 15, 23, 59, 30);
    await stub.reserve({ requestId: "r1", nowMs: lateToday, scopes: [teamBudget(100, "day")], costMicroUsd: 100, tokens: 1 });
    const refused = await stub.reserve({ requestId: "r2", nowMs: lateToday, scopes: [teamBudget(100, "day")], costMicroUsd: 1, tokens: 1 });
    expect(refused).toMatchObject({ ok: false, refusal: "budget", retryAfterMs: 30_000 });

    const tomorrow = Date.UTC(2026, 11, 16, 0, 0, 1);
    expect(
      (await stub.reserve({ requestId: "r3", nowMs: tomorrow, scopes: [teamBudget(100, "day")], costMicroUsd: 100, tokens: 1 })).ok,
    ).toBe(true);
    // A request reserved yesterday settles into yesterday's spend, not today's.
    await stub.settle({ requestId: "r1", costMicroUsd: 40, tokens: 1 });
    expect((await stub.budgetStatus("team", "day", lateToday)).spentMicroUsd).toBe(40);
    expect(await stub.budgetStatus("team", "day", tomorrow)).toMatchObject({ spentMicroUsd: 0, reservedMicroUsd: 100 });
  });

  it("keeps spend and open reservations after the object is evicted and restarted", async () => {
    const stub = limiter("team_evicted");
    await stub.reserve({ requestId: "r1", nowMs: NOW, scopes: [teamBudget(500, "total")], costMicroUsd: 300, tokens: 1 });
    await stub.settle({ requestId: "r1", costMicroUsd: 200, tokens: 1 });
    await stub.reserve({ requestId: "r2", nowMs: NOW, scopes: [teamBudget(500, "total")], costMicroUsd: 250, tokens: 1 });

    await evictDurableObject(stub);
    const again = limiter("team_evicted");

    expect(await again.budgetStatus("team", "total", NOW)).toEqual({ spentMicroUsd: 200, reservedMicroUsd: 250, resetsAt: null });
    expect((await again.reserve({ requestId: "r3", nowMs: NOW, scopes: [teamBudget(500, "total")], costMicroUsd: 51, tokens: 1 })).ok).toBe(
      false,
    );
    expect(await again.settle({ requestId: "r2", costMicroUsd: 10, tokens: 1 })).toBe(true);
  });

  it("settles a reservation that nothing settled within a day at its worst case, from the alarm", async () => {
    const stub = limiter();
    const longAgo = Date.now() - STALE_RESERVATION_MS - 1000;
    await stub.reserve({ requestId: "lost", nowMs: longAgo, scopes: [teamBudget(10_000, "total")], costMicroUsd: 700, tokens: 1 });
    vi.spyOn(console, "warn").mockImplementation(() => {});

    expect(await runDurableObjectAlarm(stub)).toBe(true);

    expect(await stub.budgetStatus("team", "total", Date.now())).toMatchObject({ spentMicroUsd: 700, reservedMicroUsd: 0 });
    vi.restoreAllMocks();
  });
});

describe("TeamLimits rate limits", () => {
  it("admits no more than requests_per_minute in any 60-second window, sliding, not fixed", async () => {
    const stub = limiter();
    const scopes = [keyLimits("key_1", 5)];
    const at = (ms: number, id: string) => stub.reserve({ requestId: id, nowMs: NOW + ms, scopes, costMicroUsd: 0, tokens: 1 });
    for (let i = 0; i < 5; i++) expect((await at(i * 1000, `a${i}`)).ok).toBe(true);

    // A fixed window would reset at the minute; the sliding one frees a slot 60 s after the first request.
    const sixth = await at(5000, "b0");
    expect(sixth).toMatchObject({ ok: false, refusal: "requests", retryAfterMs: 55_000 });
    expect((await at(WINDOW_MS - 1, "b1")).ok).toBe(false);
    expect((await at(WINDOW_MS + 1, "b2")).ok).toBe(true);
    expect((await at(WINDOW_MS + 2, "b3")).ok).toBe(false);
  });

  it("reserves tokens at the worst case and frees the difference when settled to the actual count", async () => {
    const stub = limiter();
    const scopes = [keyLimits("key_1", null, 1000)];
    expect((await stub.reserve({ requestId: "t1", nowMs: NOW, scopes, costMicroUsd: 0, tokens: 800 })).ok).toBe(true);
    const refused = await stub.reserve({ requestId: "t2", nowMs: NOW + 10, scopes, costMicroUsd: 0, tokens: 300 });
    expect(refused).toMatchObject({ ok: false, refusal: "tokens" });

    await stub.settle({ requestId: "t1", costMicroUsd: 0, tokens: 90 });
    const admitted = await stub.reserve({ requestId: "t3", nowMs: NOW + 20, scopes, costMicroUsd: 0, tokens: 300 });
    expect(admitted).toMatchObject({ ok: true, rate: { tokens: { limit: 1000, remaining: 610 } } });
  });

  it("reports the tightest of the key's and the team's limits for the headers", async () => {
    const stub = limiter();
    const scopes: ScopePolicy[] = [
      { scope: "team", budget: null, limits: { requestsPerMinute: 100, tokensPerMinute: null } },
      keyLimits("key_1", 3),
    ];
    const first = await stub.reserve({ requestId: "h1", nowMs: NOW, scopes, costMicroUsd: 0, tokens: 1 });
    expect(first).toMatchObject({ ok: true, rate: { requests: { limit: 3, remaining: 2, resetMs: WINDOW_MS }, tokens: null } });
  });

  it("counts a retried reservation of the same request once", async () => {
    const stub = limiter();
    const scopes = [keyLimits("key_1", 1)];
    expect((await stub.reserve({ requestId: "same", nowMs: NOW, scopes, costMicroUsd: 0, tokens: 1 })).ok).toBe(true);
    expect((await stub.reserve({ requestId: "same", nowMs: NOW + 5, scopes, costMicroUsd: 0, tokens: 1 })).ok).toBe(true);
    expect((await stub.reserve({ requestId: "other", nowMs: NOW + 5, scopes, costMicroUsd: 0, tokens: 1 })).ok).toBe(false);
  });
});

describe("TeamLimits window totals", () => {
  it("keep each scope's running request and token totals equal to its rows, through expiry and settles", async () => {
    const stub = limiter();
    const scopes = [
      keyLimits("key_1", 1000, 1_000_000),
      { scope: "team", budget: null, limits: { requestsPerMinute: 1000, tokensPerMinute: null } },
    ];
    for (let i = 0; i < 120; i++) {
      await stub.reserve({ requestId: `w${i}`, nowMs: NOW + i * 1000, scopes, costMicroUsd: 0, tokens: 100 + i });
      if (i % 3 === 0) await stub.settle({ requestId: `w${i}`, costMicroUsd: 0, tokens: i });
    }
    const last = await stub.reserve({ requestId: "last", nowMs: NOW + 120_000, scopes, costMicroUsd: 0, tokens: 7 });

    const { totals, recount } = await runInDurableObject(stub, (_instance, state) => ({
      totals: state.storage.sql.exec("SELECT scope, requests, tokens FROM window_totals ORDER BY scope").toArray(),
      recount: state.storage.sql
        .exec("SELECT scope, COUNT(*) AS requests, SUM(tokens) AS tokens FROM window_events GROUP BY scope ORDER BY scope")
        .toArray(),
    }));
    expect(totals).toEqual(recount);
    // 60 requests in the window (t+61 s … t+120 s), the one just admitted included.
    expect(last).toMatchObject({ ok: true, rate: { requests: { limit: 1000, remaining: 1000 - 60 } } });
  });
});
