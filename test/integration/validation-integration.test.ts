import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { callGateway, chat, mockUpstream, seedKey, waitForUsage } from "../helpers/gateway";

let calls: ReturnType<typeof mockUpstream>;
beforeEach(() => {
  calls = mockUpstream(() => Response.json({ usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
});
afterEach(() => vi.restoreAllMocks());

async function expectError(res: Response, status: number, error: Record<string, unknown>): Promise<void> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: Record<string, unknown> };
  expect(body.error).toMatchObject(error);
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(calls).toHaveLength(0);
}

describe("request checks", () => {
  it("answers 400 invalid_json for a body that is not JSON", async () => {
    const { key } = await seedKey();
    const res = await callGateway("/v1/chat/completions", { method: "POST", key, body: '{"model": "llama-3.3-70b",' });
    await expectError(res, 400, { code: "invalid_json", type: "invalid_request_error" });
  });

  it("answers 400 for a JSON body that is not an object", async () => {
    const { key } = await seedKey();
    const res = await callGateway("/v1/chat/completions", { method: "POST", key, body: "[1, 2]" });
    await expectError(res, 400, { code: "invalid_json" });
  });

  it("names the missing messages field in the message and in param", async () => {
    const { key } = await seedKey();
    const res = await chat(key, { model: "llama-3.3-70b" });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { message: string; param: string } };
    expect(error.param).toBe("messages");
    expect(error.message).toContain("`messages`");
  });

  it("names the model field when it is not a string", async () => {
    const { key } = await seedKey();
    await expectError(await chat(key, { model: 42, messages: [] }), 400, { code: "invalid_request_body", param: "model" });
  });

  it("names the stream field when it is not a boolean", async () => {
    const { key } = await seedKey();
    await expectError(await chat(key, { model: "llama-3.3-70b", messages: [], stream: "yes" }), 400, { param: "stream" });
  });

  it("names a nested field: stream_options.include_usage", async () => {
    const { key } = await seedKey();
    const res = await chat(key, { model: "llama-3.3-70b", messages: [], stream: true, stream_options: { include_usage: "y" } });
    await expectError(res, 400, { param: "stream_options.include_usage" });
  });

  it("answers 403 model_not_allowed for a model outside the key's allowlist, and meters it as rejected", async () => {
    const { key } = await seedKey({ models: ["llama-3.1-8b"] });
    const res = await chat(key, { model: "llama-3.3-70b", messages: [] });
    const id = res.headers.get("x-request-id") as string;
    await expectError(res, 403, { code: "model_not_allowed", type: "permission_error", param: "model" });
    expect(await waitForUsage(id)).toMatchObject({ status: 403, outcome: "rejected", model: "llama-3.3-70b", usage_source: "none" });
  });

  it("lets an allowlisted model through", async () => {
    const { key } = await seedKey({ models: ["llama-3.1-8b"] });
    const res = await chat(key, { model: "llama-3.1-8b", messages: [] });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    expect(calls).toHaveLength(1);
  });

  it("answers 403 for GET /v1/models/{id} of a model the key may not use", async () => {
    const { key } = await seedKey({ models: ["llama-3.1-8b"] });
    await expectError(await callGateway("/v1/models/qwen-3-32b", { key }), 403, { code: "model_not_allowed" });
  });

  it("answers 404 for an unknown /v1 path and never forwards it", async () => {
    const { key } = await seedKey();
    const res = await callGateway("/v1/assistants", { method: "POST", key, body: "{}" });
    const id = res.headers.get("x-request-id") as string;
    await expectError(res, 404, { code: "unknown_route", type: "not_found_error" });
    expect(await waitForUsage(id)).toMatchObject({ status: 404, outcome: "rejected", endpoint: "/v1/assistants" });
  });

  it("answers 405 with an Allow header for a wrong method on a known route", async () => {
    const { key } = await seedKey();
    const get = await callGateway("/v1/chat/completions", { key });
    expect(get.headers.get("allow")).toBe("POST");
    await expectError(get, 405, { code: "method_not_allowed" });
    const post = await callGateway("/v1/models", { method: "POST", key, body: "{}" });
    expect(post.headers.get("allow")).toBe("GET");
    await expectError(post, 405, { code: "method_not_allowed" });
  });

  it("answers 413 for a body over MAX_REQUEST_BYTES declared by Content-Length", async () => {
    const { key } = await seedKey();
    const big = JSON.stringify({ model: "llama-3.3-70b", messages: [{ role: "user", content: "x".repeat(70_000) }] });
    await expectError(await callGateway("/v1/chat/completions", { method: "POST", key, body: big }), 413, { code: "request_too_large" });
  });

  it("answers 413 for a chunked body that grows past the limit, without reading it all", async () => {
    const { key } = await seedKey();
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(16 * 1024).fill(0x20));
      },
    });
    const res = await callGateway("/v1/chat/completions", { method: "POST", key, body: endless, duplex: "half" } as RequestInit);
    await expectError(res, 413, { code: "request_too_large" });
    // 64 KiB limit in tests: reading stops within a few chunks of it, not at the end of an endless body.
    expect(pulled).toBeLessThan(16);
  });
});

describe("metering of refused bodies", () => {
  it("records a 400 under the model the body named, even though another field was wrong", async () => {
    const { key } = await seedKey();
    const res = await chat(key, { model: "qwen-3-32b", messages: "not an array" });
    expect(res.status).toBe(400);
    expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({
      outcome: "rejected",
      status: 400,
      model: "qwen-3-32b",
    });
  });
});
