import { afterEach, describe, expect, it, vi } from "vitest";
import { callGateway, chat, chunkEvent, mockUpstream, seedKey, sseResponse, USAGE, waitForUsage } from "../helpers/gateway";

afterEach(() => vi.restoreAllMocks());

const MESSAGES = [{ role: "user", content: "Tell me a story" }];
const OPENAI_STYLE = [
  chunkEvent({ content: "Once" }),
  chunkEvent({ content: " upon", finish: "stop" }),
  chunkEvent({ choices: [], usage: USAGE }),
  "data: [DONE]\n\n",
];
const TENSORAS_STYLE = [
  chunkEvent({ content: "Once" }),
  chunkEvent({ content: " upon", finish: "stop", usage: USAGE }),
  "data: [DONE]\n\n",
];

describe("include_usage on streamed requests", () => {
  it("adds stream_options.include_usage to a streamed chat request and keeps every other byte", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => sseResponse(TENSORAS_STYLE));
    const raw = '{"model":"llama-3.3-70b", "stream": true, "messages":[{"role":"user","content":"hi"}], "seed": 12345678901234567890}';
    const res = await callGateway("/v1/chat/completions", { method: "POST", key, body: raw });
    await res.text();
    expect(calls[0]?.body).toBe(`{"stream_options":{"include_usage":true},${raw.slice(1)}`);
    expect(JSON.parse(calls[0]?.body as string).stream_options).toEqual({ include_usage: true });
  });

  it("sets include_usage inside stream_options the client sent without it, keeping its other options", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => sseResponse(TENSORAS_STYLE));
    const res = await chat(key, {
      model: "llama-3.3-70b",
      stream: true,
      stream_options: { continuous_usage_stats: false },
      messages: MESSAGES,
    });
    await res.text();
    expect(JSON.parse(calls[0]?.body as string)).toEqual({
      model: "llama-3.3-70b",
      stream: true,
      stream_options: { continuous_usage_stats: false, include_usage: true },
      messages: MESSAGES,
    });
  });

  it("forwards the body unchanged when the client asked for usage itself", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => sseResponse(OPENAI_STYLE));
    const raw = JSON.stringify({ model: "llama-3.3-70b", stream: true, stream_options: { include_usage: true }, messages: MESSAGES });
    const res = await callGateway("/v1/chat/completions", { method: "POST", key, body: raw });
    expect(calls[0]?.body).toBe(raw);
    // The client asked: the usage-only chunk is theirs.
    expect(await res.text()).toBe(OPENAI_STYLE.join(""));
  });

  it("does not touch a non-streamed request's body", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => Response.json({ usage: USAGE }));
    const raw = JSON.stringify({ model: "llama-3.3-70b", stream: false, messages: MESSAGES });
    await (await callGateway("/v1/chat/completions", { method: "POST", key, body: raw })).text();
    expect(calls[0]?.body).toBe(raw);
  });

  it("withholds the usage-only chunk the gateway asked for, meters it, and passes every other byte", async () => {
    const { key } = await seedKey();
    mockUpstream(() => sseResponse(OPENAI_STYLE));
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: MESSAGES });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const events = [...OPENAI_STYLE];
    events.splice(2, 1);
    expect(await res.text()).toBe(events.join(""));
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record).toMatchObject({
      stream: true,
      outcome: "completed",
      finish_reason: "stop",
      prompt_tokens: 11,
      total_tokens: 14,
      usage_source: "upstream",
    });
  });

  it("passes usage carried inside a chunk with choices (Tensoras's form) unchanged", async () => {
    const { key } = await seedKey();
    mockUpstream(() => sseResponse(TENSORAS_STYLE));
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: MESSAGES });
    expect(await res.text()).toBe(TENSORAS_STYLE.join(""));
    expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({ completion_tokens: 3, usage_source: "upstream" });
  });

  it("injects include_usage for streamed /v1/completions too", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() =>
      sseResponse([
        'data: {"choices":[{"text":"x","finish_reason":"length"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n\n',
        "data: [DONE]\n\n",
      ]),
    );
    const res = await callGateway("/v1/completions", {
      method: "POST",
      key,
      body: JSON.stringify({ model: "qwen-3-32b", prompt: "x", stream: true }),
    });
    await res.text();
    expect(JSON.parse(calls[0]?.body as string).stream_options).toEqual({ include_usage: true });
    expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({
      endpoint: "/v1/completions",
      finish_reason: "length",
      total_tokens: 2,
    });
  });
});

/**
 * An upstream stream that produces one content event per pull, built inside the
 * fetch mock (the worker's I/O context), recording what happened to it.
 * `failAfter`: error the stream (a dropped connection) after that many events.
 */
function scriptedUpstream(options: { failAfter?: number } = {}) {
  const state = { enqueued: 0, cancelled: false };
  const make = () =>
    new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          if (options.failAfter !== undefined && state.enqueued >= options.failAfter) {
            controller.error(new Error("connection reset"));
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 2));
          state.enqueued++;
          controller.enqueue(new TextEncoder().encode(chunkEvent({ content: `w${state.enqueued}` })));
        },
        cancel() {
          state.cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
  return { state, make };
}

describe("how a stream ends", () => {
  it("cancels the upstream when the client disconnects mid-stream and meters client_aborted with an estimate", async () => {
    const { key } = await seedKey();
    const upstream = scriptedUpstream();
    let signal: AbortSignal | undefined;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
      signal = init?.signal ?? undefined;
      return sseResponse(upstream.make());
    });
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: [{ role: "user", content: "y".repeat(80) }] });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let received = "";
    while (!received.includes('"w3"')) received += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(signal?.aborted).toBe(true);
    const producedAtAbort = upstream.state.enqueued;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(upstream.state.enqueued).toBe(producedAtAbort);
    expect(record).toMatchObject({ outcome: "client_aborted", usage_source: "estimated", prompt_tokens: 24 });
    // What was streamed: at least what the client saw, at most what upstream produced.
    expect(record.completion_tokens).toBeGreaterThanOrEqual(3);
    expect(record.completion_tokens).toBeLessThanOrEqual(producedAtAbort);
    expect(record.total_tokens).toBe(record.prompt_tokens + record.completion_tokens);
  });

  it("meters upstream_error with an estimate when upstream sends an error event mid-stream", async () => {
    const { key } = await seedKey();
    const events = [
      chunkEvent({ content: "a" }),
      chunkEvent({ content: "b" }),
      'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n',
    ];
    mockUpstream(() => sseResponse(events));
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: MESSAGES });
    // The client sees the error event exactly as Tensoras sent it.
    expect(await res.text()).toBe(events.join(""));
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record).toMatchObject({ status: 200, outcome: "upstream_error", usage_source: "estimated", completion_tokens: 3 });
    expect(record.prompt_tokens).toBeGreaterThan(0);
  });

  it("meters upstream_error with an estimate and fails the client's stream when the connection drops", async () => {
    const { key } = await seedKey();
    const upstream = scriptedUpstream({ failAfter: 2 });
    mockUpstream(() => sseResponse(upstream.make()));
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: MESSAGES });
    await expect(res.text()).rejects.toThrow();
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record).toMatchObject({ outcome: "upstream_error", usage_source: "estimated", completion_tokens: 2 });
  });

  it("meters upstream_error when the stream ends without [DONE] and without usage", async () => {
    const { key } = await seedKey();
    mockUpstream(() => sseResponse([chunkEvent({ content: "a" })]));
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: MESSAGES });
    await res.text();
    expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({
      outcome: "upstream_error",
      usage_source: "estimated",
      completion_tokens: 1,
    });
  });

  it("meters completed from upstream usage when the stream ends without [DONE] after the usage chunk", async () => {
    const { key } = await seedKey();
    mockUpstream(() => sseResponse(TENSORAS_STYLE.slice(0, 2)));
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: MESSAGES });
    await res.text();
    expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({
      outcome: "completed",
      usage_source: "upstream",
      total_tokens: 14,
    });
  });

  it("records time to first byte and duration for a stream", async () => {
    const { key } = await seedKey();
    mockUpstream(() => sseResponse(TENSORAS_STYLE));
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: MESSAGES });
    await res.text();
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record.ttfb_ms).not.toBeNull();
    expect(record.duration_ms).toBeGreaterThanOrEqual(record.ttfb_ms as number);
    expect(Date.parse(record.started_at)).toBeLessThanOrEqual(Date.now());
  });
});

const BOM = [0xef, 0xbb, 0xbf];
const encoder = new TextEncoder();

/**
 * An upstream that has sent these chunks at once and then keeps the connection open
 * without a word (as a server slow to close, or a model still thinking), built
 * inside the fetch mock (the worker's I/O context); records the abort signal and
 * when its body was cancelled.
 */
function mockHeldOpenUpstream(chunks: (string | number[])[]) {
  const state = { signal: undefined as AbortSignal | undefined, bodyCancelledAt: null as number | null, abortedAt: null as number | null };
  vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
    state.signal = init?.signal ?? undefined;
    state.signal?.addEventListener("abort", () => {
      state.abortedAt = Date.now();
    });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : Uint8Array.from(chunk));
      },
      cancel() {
        state.bodyCancelledAt = Date.now();
      },
    });
    return sseResponse(body);
  });
  return state;
}

async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, marker: string): Promise<string> {
  const decoder = new TextDecoder();
  let received = "";
  while (!received.includes(marker)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the stream ended before ${marker}`);
    received += decoder.decode(value, { stream: true });
  }
  return received;
}

describe("a client that leaves early", () => {
  it("meters completed with upstream usage when the client cancels right after reading [DONE]", async () => {
    const { key } = await seedKey();
    const upstream = mockHeldOpenUpstream(OPENAI_STYLE);
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: MESSAGES });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    // As most SDKs do: stop at [DONE], without waiting for the connection to close.
    await readUntil(reader, "[DONE]");
    await reader.cancel();
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record).toMatchObject({
      outcome: "completed",
      usage_source: "upstream",
      prompt_tokens: 11,
      completion_tokens: 3,
      total_tokens: 14,
    });
    expect(upstream.signal?.aborted).toBe(true);
  });

  it("bills the exact upstream usage when the client cancels after upstream sent the usage chunk but before the client read it", async () => {
    const { key } = await seedKey();
    // 64 KB of text before the usage, so that the response pipe's read-ahead (a chunk or two) does not reach it:
    // it waits in upstream's queue, inside the drain's 256 KiB.
    const long = Array.from({ length: 16 }, (_, i) => chunkEvent({ content: `${i}${"x".repeat(4000)}` }));
    const upstream = mockHeldOpenUpstream([chunkEvent({ content: "Once" }), ...long, ...TENSORAS_STYLE.slice(1)]);
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: MESSAGES });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const received = await readUntil(reader, '"Once"');
    expect(received).not.toContain('"usage"');
    await reader.cancel();
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    // The client did not get the whole answer, but Tensoras's own count is billed.
    expect(record).toMatchObject({
      outcome: "client_aborted",
      usage_source: "upstream",
      prompt_tokens: 11,
      completion_tokens: 3,
      total_tokens: 14,
      cached_tokens: 2,
      finish_reason: "stop",
    });
    expect(upstream.signal?.aborted).toBe(true);
  });

  it("aborts a silent upstream promptly when the client cancels, and meters an estimate", async () => {
    const { key } = await seedKey();
    const upstream = mockHeldOpenUpstream([chunkEvent({ content: "Once" })]);
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: MESSAGES });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await readUntil(reader, '"Once"');
    const cancelledAt = Date.now();
    await reader.cancel();
    while ((upstream.abortedAt === null || upstream.bodyCancelledAt === null) && Date.now() - cancelledAt < 2000) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(upstream.abortedAt).not.toBeNull();
    expect(upstream.bodyCancelledAt).not.toBeNull();
    // Within the drain bound (50 ms), far inside the promised second.
    expect(Math.max(upstream.abortedAt as number, upstream.bodyCancelledAt as number) - cancelledAt).toBeLessThan(1000);
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record).toMatchObject({ outcome: "client_aborted", usage_source: "estimated", completion_tokens: 1 });
  });
});

describe("streams written in unusual but valid SSE", () => {
  it("reads and withholds a usage-only event behind a UTF-8 BOM split across chunks, passing the BOM on", async () => {
    const { key } = await seedKey();
    const usageOnly = chunkEvent({ choices: [], usage: USAGE });
    const chunks = [[0xef], [0xbb, 0xbf, ...encoder.encode(usageOnly)], [...encoder.encode("data: [DONE]\n\n")]];
    mockUpstream(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              for (const chunk of chunks) controller.enqueue(Uint8Array.from(chunk));
              controller.close();
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    );
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: MESSAGES });
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(Uint8Array.from([...BOM, ...encoder.encode("data: [DONE]\n\n")]));
    expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({
      outcome: "completed",
      usage_source: "upstream",
      total_tokens: 14,
    });
  });

  it("takes `data: [DONE]` followed by spaces for the end of the stream", async () => {
    const { key } = await seedKey();
    const events = [chunkEvent({ content: "a" }), chunkEvent({ content: "b", finish: "stop" }), "data: [DONE]  \n\n"];
    mockUpstream(() => sseResponse(events));
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: MESSAGES });
    expect(await res.text()).toBe(events.join(""));
    expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({
      outcome: "completed",
      usage_source: "estimated",
      completion_tokens: 2,
      finish_reason: "stop",
    });
  });
});

describe("an event stream from an endpoint that costs no tokens", () => {
  it("records GET /v1/models answered as an event stream without usage as usage_source none with zero tokens, not an estimate", async () => {
    const { key } = await seedKey();
    mockUpstream(() => sseResponse(['data: {"object":"list","data":[]}\n\n', 'data: {"object":"list","data":[]}\n\n', "data: [DONE]\n\n"]));
    const res = await callGateway("/v1/models", { key });
    expect(res.status).toBe(200);
    await res.text();
    const record = await waitForUsage(res.headers.get("x-request-id") ?? "");
    expect(record).toMatchObject({
      endpoint: "/v1/models",
      outcome: "completed",
      usage_source: "none",
      prompt_tokens: 0,
      completion_tokens: 0,
    });
    expect(record.total_tokens).toBe(0);
  });
});
