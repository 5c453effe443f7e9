import { afterEach, describe, expect, it, vi } from "vitest";
import type { UsageRecord } from "../../src/metering/usage-record";
import { CHAT_PLAIN, CHAT_PLAIN_EXPECTED } from "../fixtures/streams/chat-plain";
import { adminCall, adminJson, captureLogs, expectNoSecrets, secretForms } from "../helpers/admin";
import { chat, mockUpstream, sseResponse, UPSTREAM_KEY } from "../helpers/gateway";

afterEach(() => vi.restoreAllMocks());

/** Asks the admin API until `ready` holds, as an operator refreshing a dashboard would. */
async function poll<T>(read: () => Promise<T>, ready: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ready(value)) return value;
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("an operator's story", () => {
  it("creates a team and a key, the key streams a chat completion, its usage shows in events and in totals by key, and once revoked the key is refused with 401", async () => {
    const logs = captureLogs();
    const upstream = mockUpstream(() => sseResponse([CHAT_PLAIN]));

    // 1. The operator creates a team and mints a key for it.
    const team = await adminJson<{ id: string; name: string }>("POST", "/teams", { name: "Search", metadata: { cost_center: "cc-42" } });
    const created = await adminCall("POST", `/teams/${team.id}/keys`, { name: "search-prod", models: ["llama-3.3-70b"] });
    expect(created.status).toBe(201);
    const key = (await created.json()) as { id: string; name: string; key: string; team_id: string };
    expect(key.team_id).toBe(team.id);

    // 2. The team's service streams a chat completion with it, reading the whole stream.
    const res = await chat(key.key, { model: "llama-3.3-70b", stream: true, messages: [{ role: "user", content: "Bonjour" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(await res.text()).toBe(CHAT_PLAIN);
    expect(upstream).toHaveLength(1);
    expect(upstream[0]?.headers.get("authorization")).toBe(`Bearer ${UPSTREAM_KEY}`);
    const requestId = res.headers.get("x-request-id") as string;

    // 3. The usage shows in the ledger, with the upstream's own counts.
    const events = await poll(
      () => adminJson<{ data: UsageRecord[] }>("GET", `/usage/events?key_id=${key.id}`),
      (page) => page.data.length > 0,
    );
    const { usage } = CHAT_PLAIN_EXPECTED;
    expect(events.data).toEqual([
      {
        request_id: requestId,
        team_id: team.id,
        key_id: key.id,
        endpoint: "/v1/chat/completions",
        model: "llama-3.3-70b",
        stream: true,
        status: 200,
        outcome: "completed",
        finish_reason: "stop",
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        total_tokens: usage.total_tokens,
        cached_tokens: usage.prompt_tokens_details.cached_tokens,
        reasoning_tokens: usage.completion_tokens_details.reasoning_tokens,
        usage_source: "upstream",
        started_at: expect.any(String),
        ttfb_ms: expect.any(Number),
        duration_ms: expect.any(Number),
        // No price for the model in this story: no cost, never a made-up one.
        cost_micro_usd: null,
        price_id: null,
        team_name: team.name,
        key_name: key.name,
      },
    ]);

    // 4. ... and in the totals by key, the same numbers.
    const byKey = await adminJson<{ data: Record<string, unknown>[] }>("GET", "/usage?group_by=key");
    expect(byKey.data.find((row) => row.key_id === key.id)).toEqual({
      key_id: key.id,
      key_name: key.name,
      requests: 1,
      prompt_tokens: 24,
      completion_tokens: 17,
      total_tokens: 41,
      cached_tokens: 0,
      reasoning_tokens: 0,
      cost_micro_usd: 0,
      unpriced_requests: 1,
    });
    const view = await adminJson<{ last_used_at: string | null; status: string }>("GET", `/keys/${key.id}`);
    expect(view).toMatchObject({ last_used_at: events.data[0]?.started_at, status: "active" });

    // 5. The key leaks: the operator revokes it, and the gateway refuses it at once.
    expect((await adminCall("DELETE", `/keys/${key.id}`)).status).toBe(200);
    const refused = await chat(key.key, { model: "llama-3.3-70b", stream: true, messages: [{ role: "user", content: "encore" }] });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { type: "authentication_error", code: "api_key_revoked" } });
    expect(upstream).toHaveLength(1);
    expect(await adminJson("GET", `/keys/${key.id}`)).toMatchObject({ status: "revoked" });
    expect((await adminJson<{ data: { action: string }[] }>("GET", `/audit?target_id=${key.id}`)).data.map((e) => e.action)).toEqual([
      "key.revoke",
      "key.create",
    ]);

    // Throughout, the key's secret was written nowhere: not in a log line, not in the ledger.
    const forms = await secretForms([key.key]);
    for (const line of logs) expectNoSecrets(line, forms, "a log line");
    expect(logs.some((line) => line.includes(requestId))).toBe(true);
    expectNoSecrets(JSON.stringify(events), forms, "the usage events");
  });
});
