import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import OpenAI from "openai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WINDOW_MS } from "../../src/limits/team-limits";
import { adminJson } from "../helpers/admin";
import { GATEWAY, mockUpstream, seedKey } from "../helpers/gateway";

afterEach(() => vi.restoreAllMocks());

describe("the openai SDK against a rate-limited key", () => {
  it("retries a 429 rate_limit_exceeded after the time the gateway gives, and then succeeds, as it does against OpenAI", async () => {
    const { key, keyId, teamId } = await seedKey();
    await adminJson("PATCH", `/keys/${keyId}`, { limits: { requests_per_minute: 1 } });
    // The key's one request of this minute started 59 s ago: the window frees in about a second.
    await env.TEAM_LIMITS.getByName(teamId).reserve({
      requestId: `earlier-${crypto.randomUUID()}`,
      nowMs: Date.now() - WINDOW_MS + 1000,
      scopes: [{ scope: keyId, budget: null, limits: { requestsPerMinute: 1, tokensPerMinute: null } }],
      costMicroUsd: 0,
      tokens: 0,
    });
    const upstream = mockUpstream(() =>
      Response.json({ object: "list", data: [{ id: "llama-3.3-70b", object: "model", created: 1, owned_by: "tensoras" }] }),
    );
    const answers: { status: number; retryAfterMs: string | null }[] = [];
    const client = new OpenAI({
      apiKey: key,
      baseURL: `${GATEWAY}/v1`,
      maxRetries: 2,
      fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
        const res = await exports.default.fetch(new Request(input, init));
        answers.push({ status: res.status, retryAfterMs: res.headers.get("retry-after-ms") });
        return res;
      },
    });

    const startedAt = Date.now();
    const models = await client.models.list();

    expect(models.data.map((model) => model.id)).toEqual(["llama-3.3-70b"]);
    expect(answers[0]?.status).toBe(429);
    expect(Number(answers[0]?.retryAfterMs)).toBeGreaterThan(0);
    expect(Number(answers[0]?.retryAfterMs)).toBeLessThanOrEqual(1000);
    expect(answers.at(-1)?.status).toBe(200);
    // It waited as told, not its own default backoff from zero: the retry came after the window freed.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(Number(answers[0]?.retryAfterMs) - 50);
    expect(upstream).toHaveLength(1);
  });
});
