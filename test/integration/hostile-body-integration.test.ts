import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { MAX_FORWARDED_HEADER_BYTES } from "../../src/proxy/headers";
import {
  callGateway,
  chat,
  chunkEvent,
  GATEWAY,
  mockUpstream,
  seedKey,
  sseResponse,
  usageRowCount,
  waitForUsage,
} from "../helpers/gateway";

afterEach(() => vi.restoreAllMocks());

const encoder = new TextEncoder();
const DEPTH = 100_000;
/** `[` nested 100,000 deep: 200 KB, so these requests go through a worker with the production body limit (10 MiB). */
const DEEP_ARRAY = `${"[".repeat(DEPTH)}${"]".repeat(DEPTH)}`;
const TEXT = "x".repeat(40);

/** The body: a chat request holding the deep array in a member the estimate reads. */
function deepChatBody(stream: boolean): string {
  return `{"model":"llama-3.3-70b","stream":${stream},"messages":[{"role":"user","content":"${TEXT}"},{"role":"user","content":${DEEP_ARRAY}}]}`;
}

/** POST through the worker with MAX_REQUEST_BYTES at its production default (the test config keeps it at 64 KiB). */
async function postLarge(key: string, path: string, body: string): Promise<Response> {
  const request = new Request(`${GATEWAY}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body,
  });
  return worker.fetch(request, { ...env, MAX_REQUEST_BYTES: String(10 * 1024 * 1024) }, createExecutionContext());
}

/** An upstream SSE body: one content event per pull, then (with failAfter) a dropped connection. */
function upstreamStream(options: { failAfter?: number } = {}): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (options.failAfter !== undefined && sent >= options.failAfter) return controller.error(new Error("connection reset"));
        await new Promise((resolve) => setTimeout(resolve, 2));
        sent++;
        controller.enqueue(encoder.encode(chunkEvent({ content: `w${sent}` })));
      },
    },
    { highWaterMark: 0 },
  );
}

/** A non-streamed answer that breaks off after its first piece. */
function brokenJson(status = 200): Response {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return controller.error(new Error("connection reset"));
      sent = true;
      controller.enqueue(encoder.encode(status === 200 ? '{"id":"chatcmpl-9","choices":[' : ""));
    },
  });
  return new Response(body, { status, headers: { "content-type": "application/json" } });
}

async function onlyRecord(res: Response) {
  const id = res.headers.get("x-request-id") as string;
  const record = await waitForUsage(id);
  expect(await usageRowCount(id)).toBe(1);
  return record;
}

describe("a chat body with [ nested 100,000 deep", () => {
  it("is metered with an estimated prompt when the client aborts the stream", async () => {
    const { key } = await seedKey();
    mockUpstream(() => sseResponse(upstreamStream()));
    const res = await postLarge(key, "/v1/chat/completions", deepChatBody(true));
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let received = "";
    while (!received.includes('"w2"')) received += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const record = await onlyRecord(res);
    expect(record).toMatchObject({ outcome: "client_aborted", usage_source: "estimated" });
    expect(record.prompt_tokens).toBeGreaterThan(0);
  });

  it("is metered with an estimated prompt when upstream drops the stream midway", async () => {
    const { key } = await seedKey();
    mockUpstream(() => sseResponse(upstreamStream({ failAfter: 2 })));
    const res = await postLarge(key, "/v1/chat/completions", deepChatBody(true));
    await expect(res.text()).rejects.toThrow();
    const record = await onlyRecord(res);
    expect(record).toMatchObject({ outcome: "upstream_error", usage_source: "estimated", completion_tokens: 2 });
    expect(record.prompt_tokens).toBeGreaterThan(0);
  });

  it("answers 502 upstream_broken, and meters it, when a non-streamed answer breaks off", async () => {
    const { key } = await seedKey();
    mockUpstream(() => brokenJson());
    const res = await postLarge(key, "/v1/chat/completions", deepChatBody(false));
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: { code: "upstream_broken" } });
    const record = await onlyRecord(res);
    expect(record).toMatchObject({ status: 502, outcome: "upstream_error", usage_source: "estimated" });
    expect(record.prompt_tokens).toBeGreaterThan(0);
  });

  it("is forwarded byte for byte when streamed, include_usage spliced in and nothing re-serialised", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => sseResponse(["data: [DONE]\n\n"]));
    const body = deepChatBody(true).replace('"stream":true', '"stream":true,"seed":9223372036854775807,"stream_options":{}');
    const res = await postLarge(key, "/v1/chat/completions", body);
    await res.text();
    expect(calls[0]?.body).toBe(body.replace('"stream_options":{}', '"stream_options":{"include_usage":true}'));
  });
});

describe("prompts sent as token ids", () => {
  const cases: { path: string; label: string; body: Record<string, unknown>; ids: number }[] = [
    { path: "/v1/completions", label: "prompt: [ids…]", body: { model: "llama-3.1-8b", prompt: [101, 2023, 2003, 1037, 3231] }, ids: 5 },
    {
      path: "/v1/embeddings",
      label: "input: [[ids…]]",
      body: {
        model: "llama-3.1-8b",
        input: [
          [101, 2023],
          [2003, 1037, 3231, 102],
        ],
      },
      ids: 6,
    },
    { path: "/v1/embeddings", label: "input: [ids…]", body: { model: "llama-3.1-8b", input: [7, 8, 9] }, ids: 3 },
  ];
  for (const { path, label, body, ids } of cases) {
    it(`estimates one prompt token per id for ${path} with ${label} when the answer breaks off`, async () => {
      const { key } = await seedKey();
      mockUpstream(() => brokenJson());
      const res = await callGateway(path, { method: "POST", key, body: JSON.stringify(body) });
      expect(res.status).toBe(502);
      expect(await onlyRecord(res)).toMatchObject({ usage_source: "estimated", prompt_tokens: ids });
    });
  }
});

describe("stream_options rewritten as text", () => {
  it("keeps seed 9223372036854775807 byte-exact when the client sent stream_options: {}", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => sseResponse(["data: [DONE]\n\n"]));
    const body = '{"model":"llama-3.3-70b","seed":9223372036854775807,"stream":true,"stream_options":{},"messages":[]}';
    const res = await callGateway("/v1/chat/completions", { method: "POST", key, body });
    await res.text();
    expect(calls[0]?.body).toBe(
      '{"model":"llama-3.3-70b","seed":9223372036854775807,"stream":true,"stream_options":{"include_usage":true},"messages":[]}',
    );
  });

  it("turns include_usage false into true and keeps every other byte", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => sseResponse(["data: [DONE]\n\n"]));
    const body =
      '{ "model": "llama-3.3-70b", "seed": 1.50, "stream": true, "stream_options": { "x": 1, "include_usage" : false }, "messages": [] }';
    const res = await callGateway("/v1/chat/completions", { method: "POST", key, body });
    await res.text();
    expect(calls[0]?.body).toBe(body.replace('"include_usage" : false', '"include_usage" : true'));
  });
});

describe("duplicate member names", () => {
  it("refuses a second model that would bypass the key's allowlist, forwards nothing and records the rejection", async () => {
    const { key } = await seedKey({ models: ["llama-3.1-8b"] });
    const calls = mockUpstream(() => Response.json({}));
    const body = '{"model":"llama-3.3-70b","model":"llama-3.1-8b","messages":[{"role":"user","content":"hi"}]}';
    const res = await callGateway("/v1/chat/completions", { method: "POST", key, body });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: "invalid_request_body", param: "model" });
    expect(calls).toHaveLength(0);
    expect(await onlyRecord(res)).toMatchObject({ status: 400, outcome: "rejected", usage_source: "none" });
  });

  it("refuses names that differ only in letter case", async () => {
    const { key } = await seedKey({ models: ["llama-3.1-8b"] });
    const calls = mockUpstream(() => Response.json({}));
    const res = await chat(key, { Model: "llama-3.3-70b", model: "llama-3.1-8b", messages: [] });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code: "invalid_request_body", param: "model" });
    expect(calls).toHaveLength(0);
  });
});

describe("requests that used to answer 500", () => {
  it("refuses HEAD /v1/models and /v1/models/{id} with 405 Allow: GET, and forwards neither", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => Response.json({ object: "list", data: [] }));
    for (const path of ["/v1/models", "/v1/models/llama-3.3-70b"]) {
      const res = await callGateway(path, { method: "HEAD", key });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET");
      expect(await onlyRecord(res)).toMatchObject({ status: 405, outcome: "rejected", usage_source: "none" });
    }
    expect(calls).toHaveLength(0);
  });

  it("refuses a 100 KB request header with 431 before forwarding, and records what the client got", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => Response.json({}));
    const res = await chat(key, { model: "llama-3.3-70b", messages: [] }, { headers: { "x-big": "a".repeat(100 * 1024) } });
    expect(res.status).toBe(431);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      code: "request_headers_too_large",
      type: "invalid_request_error",
    });
    expect(calls).toHaveLength(0);
    expect(await onlyRecord(res)).toMatchObject({ status: 431, outcome: "rejected" });
  });

  it("forwards headers up to the limit, not counting the cookies it drops", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => Response.json({}));
    const res = await chat(
      key,
      { model: "llama-3.3-70b", messages: [] },
      { headers: { "x-big": "a".repeat(MAX_FORWARDED_HEADER_BYTES - 1024), cookie: "c".repeat(64 * 1024) } },
    );
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it("answers 502 upstream_broken when upstream refuses the request and closes the connection mid-answer", async () => {
    const { key } = await seedKey();
    mockUpstream(() => brokenJson(431));
    for (const stream of [false, true]) {
      const res = await chat(key, { model: "llama-3.3-70b", stream, messages: [] });
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ error: { code: "upstream_broken" } });
      expect(await onlyRecord(res)).toMatchObject({ status: 502, outcome: "upstream_error", usage_source: "none" });
    }
  });
});
