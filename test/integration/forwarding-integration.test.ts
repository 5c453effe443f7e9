import { afterEach, describe, expect, it, vi } from "vitest";
import { callGateway, chat, mockUpstream, seedKey, sseResponse, UPSTREAM_KEY, USAGE, waitForUsage } from "../helpers/gateway";

afterEach(() => vi.restoreAllMocks());

const COMPLETION = {
  id: "chatcmpl-9",
  object: "chat.completion",
  model: "llama-3.3-70b",
  choices: [{ index: 0, message: { role: "assistant", content: "Hello there" }, finish_reason: "stop" }],
  usage: USAGE,
};
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("forwarding to Tensoras", () => {
  it("sends the same path and query to TENSORAS_BASE_URL with the gateway's own key", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => Response.json({ object: "list", data: [] }));
    await callGateway("/v1/models?limit=2&after=x", { key });
    expect(calls[0]?.url).toBe("https://tensoras.test/v1/models?limit=2&after=x");
    expect(calls[0]?.headers.get("authorization")).toBe(`Bearer ${UPSTREAM_KEY}`);
  });

  it("sends the same sortable request id upstream and back to the client", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => Response.json(COMPLETION, { headers: { "x-request-id": "tns-abc" } }));
    const res = await chat(key, { model: "llama-3.3-70b", messages: [] }, { headers: { "x-request-id": "client-chosen" } });
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(UUID_V7);
    expect(calls[0]?.headers.get("x-request-id")).toBe(id);
    expect(res.headers.get("x-tensoras-request-id")).toBe("tns-abc");
  });

  it("drops hop-by-hop headers, cookies and Cloudflare's own headers, and keeps the rest", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => Response.json(COMPLETION));
    await chat(
      key,
      { model: "llama-3.3-70b", messages: [] },
      {
        headers: {
          connection: "keep-alive, x-secret-hop",
          "x-secret-hop": "1",
          "keep-alive": "timeout=5",
          "proxy-authorization": "Basic abc",
          cookie: "session=1",
          "cf-connecting-ip": "203.0.113.9",
          "cf-ray": "abc",
          "x-forwarded-for": "203.0.113.9",
          "openai-organization": "org-1",
          "user-agent": "OpenAI/JS 6.0.0",
        },
      },
    );
    const sent = calls[0]?.headers as Headers;
    for (const name of ["x-secret-hop", "keep-alive", "proxy-authorization", "cookie", "cf-connecting-ip", "cf-ray", "x-forwarded-for"]) {
      expect(sent.has(name), name).toBe(false);
    }
    expect(sent.get("openai-organization")).toBe("org-1");
    expect(sent.get("user-agent")).toBe("OpenAI/JS 6.0.0");
  });

  it("forwards a non-streaming body byte for byte, unknown fields and formatting included", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() => Response.json(COMPLETION));
    const raw =
      '{ "model" : "llama-3.3-70b", "messages": [{"role":"user","content":"hé"}], "temperature": 1.0, "x_vendor": {"a": [1, 2.50]} }';
    await callGateway("/v1/chat/completions", { method: "POST", key, body: raw });
    expect(calls[0]?.body).toBe(raw);
  });

  it("returns a JSON answer as received and meters its usage", async () => {
    const { key, keyId, teamId } = await seedKey();
    const upstreamBody = `${JSON.stringify(COMPLETION, null, 2)}\n`;
    mockUpstream(() => new Response(upstreamBody, { headers: { "content-type": "application/json", "set-cookie": "__cf_bm=1" } }));
    const res = await chat(key, { model: "llama-3.3-70b", messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await res.text()).toBe(upstreamBody);
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record).toMatchObject({
      team_id: teamId,
      key_id: keyId,
      endpoint: "/v1/chat/completions",
      model: "llama-3.3-70b",
      stream: false,
      status: 200,
      outcome: "completed",
      finish_reason: "stop",
      prompt_tokens: 11,
      completion_tokens: 3,
      total_tokens: 14,
      cached_tokens: 2,
      reasoning_tokens: 1,
      usage_source: "upstream",
    });
  });

  it("meters embeddings from the usage Tensoras returns", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream(() =>
      Response.json({
        object: "list",
        data: [{ object: "embedding", index: 0, embedding: [0.1] }],
        model: "e",
        usage: { prompt_tokens: 5, total_tokens: 5 },
      }),
    );
    const res = await callGateway("/v1/embeddings", {
      method: "POST",
      key,
      body: JSON.stringify({ model: "llama-3.1-8b", input: "hello" }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { data: unknown[] }).data).toHaveLength(1);
    expect(calls[0]?.url).toBe("https://tensoras.test/v1/embeddings");
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record).toMatchObject({
      endpoint: "/v1/embeddings",
      prompt_tokens: 5,
      completion_tokens: 0,
      total_tokens: 5,
      usage_source: "upstream",
    });
  });

  it("forwards /v1/completions and GET /v1/models/{id}", async () => {
    const { key } = await seedKey();
    const calls = mockUpstream((call) =>
      call.url.endsWith("/completions")
        ? Response.json({
            choices: [{ text: "x", finish_reason: "length" }],
            usage: { prompt_tokens: 2, completion_tokens: 1, total_tokens: 3 },
          })
        : Response.json({ id: "qwen-3-32b", object: "model" }),
    );
    const completion = await callGateway("/v1/completions", {
      method: "POST",
      key,
      body: JSON.stringify({ model: "qwen-3-32b", prompt: "x" }),
    });
    const model = await callGateway("/v1/models/qwen-3-32b", { key });
    expect(completion.status).toBe(200);
    await completion.arrayBuffer();
    expect(await model.json()).toEqual({ id: "qwen-3-32b", object: "model" });
    expect(calls.map((c) => c.url)).toEqual(["https://tensoras.test/v1/completions", "https://tensoras.test/v1/models/qwen-3-32b"]);
    const record = await waitForUsage(model.headers.get("x-request-id") as string);
    expect(record).toMatchObject({ endpoint: "/v1/models/qwen-3-32b", model: "qwen-3-32b", usage_source: "none", total_tokens: 0 });
  });

  it("passes an upstream 429 through with its status, Retry-After and body, and meters it", async () => {
    const { key } = await seedKey();
    const body = JSON.stringify({ error: { message: "Rate limit reached", type: "rate_limit_error", param: null, code: "rate_limit" } });
    mockUpstream(() => new Response(body, { status: 429, headers: { "retry-after": "7", "content-type": "application/json" } }));
    const res = await chat(key, { model: "llama-3.3-70b", messages: [] });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(await res.text()).toBe(body);
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record).toMatchObject({ status: 429, outcome: "upstream_error", usage_source: "none" });
  });

  it("passes an upstream 500 through unchanged", async () => {
    const { key } = await seedKey();
    mockUpstream(() => new Response("upstream exploded", { status: 500 }));
    const res = await chat(key, { model: "llama-3.3-70b", messages: [] });
    expect(res.status).toBe(500);
    expect(await res.text()).toBe("upstream exploded");
  });
});

describe("upstream failures before an answer", () => {
  it("answers 502 when Tensoras cannot be reached, and meters upstream_unreachable", async () => {
    const { key } = await seedKey();
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("connect ECONNREFUSED 10.0.0.1:443"));
    const res = await chat(key, { model: "llama-3.3-70b", messages: [] });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ error: { code: "upstream_unreachable", type: "api_error" } });
    expect(text).not.toContain("10.0.0.1");
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record).toMatchObject({ status: 502, outcome: "upstream_unreachable", usage_source: "none" });
  });

  it("answers 504 when Tensoras sends no headers within UPSTREAM_TIMEOUT_MS, and meters an estimate", async () => {
    const { key } = await seedKey();
    let aborted = false;
    vi.spyOn(globalThis, "fetch").mockImplementation(
      (_input, init) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener("abort", () => {
            aborted = true;
            reject(new DOMException("aborted", "AbortError"));
          });
        }),
    );
    const res = await chat(key, { model: "llama-3.3-70b", messages: [{ role: "user", content: "x".repeat(400) }] });
    expect(res.status).toBe(504);
    expect(aborted).toBe(true);
    expect(await res.json()).toMatchObject({ error: { code: "upstream_timeout" } });
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record).toMatchObject({
      status: 504,
      outcome: "upstream_error",
      usage_source: "estimated",
      prompt_tokens: 104,
      completion_tokens: 0,
    });
  });
});

describe("secrets never leave the gateway", () => {
  it("redacts the gateway's Tensoras key if an upstream error ever quotes it", async () => {
    const { key } = await seedKey();
    mockUpstream(
      () =>
        new Response(JSON.stringify({ error: { message: `Invalid API key: ${UPSTREAM_KEY}`, type: "invalid_request_error" } }), {
          status: 401,
          headers: { "content-type": "application/json" },
        }),
    );
    const res = await chat(key, { model: "llama-3.3-70b", messages: [] });
    expect(res.status).toBe(401);
    const text = await res.text();
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(JSON.parse(text)).toEqual({ error: { message: "Invalid API key: [redacted]", type: "invalid_request_error" } });
  });

  it("writes no key, key hash or upstream key into any log line of a request", async () => {
    const { key, keyHash } = await seedKey();
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(" "));
      });
    }
    mockUpstream(() => Response.json({ usage: USAGE }));
    const res = await chat(key, { model: "llama-3.3-70b", messages: [{ role: "user", content: "secret prompt text" }] });
    await res.text();
    await waitForUsage(res.headers.get("x-request-id") as string);
    expect(lines.some((line) => line.includes('"message":"usage"'))).toBe(true);
    for (const secret of [key, keyHash, UPSTREAM_KEY, "secret prompt text"]) {
      expect(lines.join("\n")).not.toContain(secret);
    }
  });
});

describe("non-streamed answers read whole", () => {
  for (const declared of [true, false]) {
    it(`returns a small answer ${declared ? "that declares its Content-Length" : "sent chunked, with no Content-Length,"} byte for byte, and meters it`, async () => {
      const { key } = await seedKey();
      const bytes = encoder.encode(`${JSON.stringify(COMPLETION)}\n`);
      mockUpstream(() => jsonAnswer(bytes, { declared, pieces: 7 }));
      const res = await chat(key, { model: "llama-3.3-70b", messages: [] });
      expect(await res.text()).toBe(new TextDecoder().decode(bytes));
      expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({
        outcome: "completed",
        total_tokens: 14,
        usage_source: "upstream",
      });
    });
  }

  it("answers 502 and bills the prompt as an estimate when a small answer breaks off mid-body", async () => {
    const { key } = await seedKey();
    mockUpstream(() => {
      let sent = false;
      const broken = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent) controller.error(new Error("connection reset"));
          else controller.enqueue(new TextEncoder().encode('{"id":"chatcmpl-9","choices":['));
          sent = true;
        },
      });
      return new Response(broken, { headers: { "content-type": "application/json", "content-length": "500" } });
    });
    const res = await chat(key, { model: "llama-3.3-70b", messages: [{ role: "user", content: "x".repeat(40) }] });
    expect(res.status).toBe(502);
    expect(await res.json()).toMatchObject({ error: { code: "upstream_broken" } });
    expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({
      status: 502,
      outcome: "upstream_error",
      usage_source: "estimated",
      prompt_tokens: 14,
    });
  });
});

/** A body of `count` near-equal chunks, with no declared length (Transfer-Encoding: chunked upstream). */
function chunked(bytes: Uint8Array, count: number): ReadableStream<Uint8Array> {
  const size = Math.ceil(bytes.length / count);
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

const encoder = new TextEncoder();

/** A JSON answer in `pieces` chunks, declaring its Content-Length or not (chunked). */
function jsonAnswer(bytes: Uint8Array, { declared, pieces }: { declared: boolean; pieces: number }): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (declared) headers["content-length"] = String(bytes.length);
  return new Response(chunked(bytes, pieces), { headers });
}
/** An embeddings answer of about `bytes` bytes, with its usage at the end as OpenAI puts it. */
function bigEmbeddings(bytes: number): string {
  const vector = Array.from({ length: 64 }, (_, i) => (i / 64).toFixed(6)).join(",");
  const item = `{"object":"embedding","index":0,"embedding":[${vector}]}`;
  const data = Array.from({ length: Math.ceil(bytes / item.length) }, () => item).join(",");
  return `{"object":"list","data":[${data}],"model":"llama-3.3-70b","usage":{"prompt_tokens":4321,"total_tokens":4321}}`;
}

describe("non-streamed answers larger than what is read whole (1 MiB)", () => {
  const embed = (key: string) =>
    callGateway("/v1/embeddings", { key, method: "POST", body: JSON.stringify({ model: "llama-3.3-70b", input: "x".repeat(40) }) });

  for (const declared of [true, false]) {
    it(`passes a 3 MB answer ${declared ? "that declares its length" : "sent chunked"} through byte for byte and meters the usage at its end`, async () => {
      const { key } = await seedKey();
      const body = bigEmbeddings(3_000_000);
      const bytes = encoder.encode(body);
      mockUpstream(() => jsonAnswer(bytes, { declared, pieces: 50 }));
      const res = await embed(key);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(body);
      expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({
        outcome: "completed",
        prompt_tokens: 4321,
        total_tokens: 4321,
        usage_source: "upstream",
      });
    });
  }

  it("stops upstream and meters client_aborted with an estimate when the client leaves a large answer", async () => {
    const { key } = await seedKey();
    const state = { pulls: 0, cancelled: false };
    let signal: AbortSignal | undefined;
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
      signal = init?.signal ?? undefined;
      const body = new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            state.pulls++;
            controller.enqueue(encoder.encode(state.pulls === 1 ? '{"object":"list","data":["' : "x".repeat(256 * 1024)));
          },
          cancel() {
            state.cancelled = true;
          },
        },
        { highWaterMark: 0 },
      );
      return new Response(body, { headers: { "content-type": "application/json" } });
    });
    const res = await embed(key);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(state.cancelled).toBe(true);
    expect(signal?.aborted).toBe(true);
    const pullsAtCancel = state.pulls;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(state.pulls).toBe(pullsAtCancel);
    // Backpressure: upstream was read about as far as the client (1 MiB held before the first byte), not to the end.
    expect(pullsAtCancel).toBeLessThan(10);
    expect(record).toMatchObject({ status: 200, outcome: "client_aborted", usage_source: "estimated", prompt_tokens: 10 });
  });

  it("fails the client's body and meters upstream_error when a large answer breaks off after its headers", async () => {
    const { key } = await seedKey();
    let pulls = 0;
    mockUpstream(
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            pull(controller) {
              pulls++;
              if (pulls > 8) return controller.error(new Error("connection reset"));
              controller.enqueue(encoder.encode(pulls === 1 ? '{"object":"list","data":["' : "x".repeat(256 * 1024)));
            },
          }),
          { headers: { "content-type": "application/json" } },
        ),
    );
    const res = await embed(key);
    expect(res.status).toBe(200);
    await expect(res.text()).rejects.toThrow();
    expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({
      status: 200,
      outcome: "upstream_error",
      usage_source: "estimated",
      prompt_tokens: 10,
    });
  });
});

describe("redaction of the gateway's Tensoras key", () => {
  const LIMIT = 64 * 1024;

  /** A chunked (no Content-Length) body of `total` bytes of filler ending in `tail`, counting what the gateway pulled. */
  function chunkedError(total: number, tail: string): { body: ReadableStream<Uint8Array>; pulled: () => number } {
    let sent = 0;
    const end = encoder.encode(tail);
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const left = total - end.byteLength - sent;
          if (left <= 0) {
            if (sent < total) controller.enqueue(end);
            sent = total;
            return controller.close();
          }
          const size = Math.min(4096, left);
          sent += size;
          controller.enqueue(encoder.encode(" ".repeat(size)));
        },
      },
      { highWaterMark: 0 },
    );
    return { body, pulled: () => sent };
  }

  async function expectUnreadable(res: Response): Promise<void> {
    const text = await res.text();
    expect(res.status).toBe(502);
    expect(text).not.toContain(UPSTREAM_KEY);
    expect(JSON.parse(text)).toMatchObject({ error: { type: "api_error", code: "upstream_error_unreadable" } });
    expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({ status: 502, outcome: "upstream_error" });
  }

  it("replaces a chunked error body over 64 KiB, the key at its end, with the gateway's own 502, reading at most one piece past the bound, and records 502", async () => {
    const { key } = await seedKey();
    let error: ReturnType<typeof chunkedError> | undefined;
    mockUpstream(() => {
      error = chunkedError(8 * 1024 * 1024, `"${UPSTREAM_KEY}"}`);
      return new Response(error.body, { status: 500, headers: { "content-type": "application/json" } });
    });
    await expectUnreadable(await chat(key, { model: "llama-3.3-70b", messages: [] }));
    expect(error?.pulled()).toBeLessThanOrEqual(LIMIT + 4096);
  });

  it("replaces an error body that declares more than 64 KiB with the gateway's own 502, and records 502", async () => {
    const { key } = await seedKey();
    const text = `{"error":{"message":"${" ".repeat(LIMIT)}${UPSTREAM_KEY}"}}`;
    mockUpstream(
      () => new Response(text, { status: 400, headers: { "content-type": "application/json", "content-length": String(text.length) } }),
    );
    await expectUnreadable(await chat(key, { model: "llama-3.3-70b", messages: [] }));
  });

  it("passes an error body of up to 64 KiB on, the key redacted, with upstream's status", async () => {
    const { key } = await seedKey();
    const { body } = chunkedError(LIMIT, `${UPSTREAM_KEY}`);
    mockUpstream(() => new Response(body, { status: 503, headers: { "content-type": "text/plain" } }));
    const res = await chat(key, { model: "llama-3.3-70b", messages: [] });
    const text = await res.text();
    expect(res.status).toBe(503);
    expect(text).toBe(`${" ".repeat(LIMIT - UPSTREAM_KEY.length)}[redacted]`);
    expect(await waitForUsage(res.headers.get("x-request-id") as string)).toMatchObject({ status: 503, outcome: "upstream_error" });
  });

  it("redacts the key written with JSON escapes (its dashes as \\u002d, every character as \\uXXXX, one character as \\u00XX) in an error body", async () => {
    const { key } = await seedKey();
    const everyChar = [...UPSTREAM_KEY].map((ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
    const oneChar = `\\u0074${UPSTREAM_KEY.slice(1)}`;
    const body = `{"error":{"message":"bad key ${UPSTREAM_KEY.replaceAll("-", "\\u002d")}","key":"${everyChar}","url":"https:\\/\\/x\\/${oneChar}"}}`;
    mockUpstream(() => new Response(body, { status: 401, headers: { "content-type": "application/json" } }));
    const res = await chat(key, { model: "llama-3.3-70b", messages: [] });
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(JSON.parse(text)).toEqual({ error: { message: "bad key [redacted]", key: "[redacted]", url: "https://x/[redacted]" } });
    expect(JSON.stringify(JSON.parse(text))).not.toContain(UPSTREAM_KEY);
  });

  it("redacts the key in WWW-Authenticate and in a custom header, of an error and of a successful answer alike", async () => {
    const { key } = await seedKey();
    let status = 401;
    mockUpstream(
      () =>
        new Response(status === 401 ? '{"error":{"message":"no"}}' : JSON.stringify(COMPLETION), {
          status,
          headers: {
            "content-type": "application/json",
            "www-authenticate": `Bearer realm="tensoras", error="invalid_token", error_description="key ${UPSTREAM_KEY} unknown"`,
            "x-debug-key": UPSTREAM_KEY.replaceAll("-", "%2D"),
            "x-ratelimit-remaining": "9",
          },
        }),
    );
    for (status of [401, 200]) {
      const res = await chat(key, { model: "llama-3.3-70b", messages: [] });
      await res.text();
      expect(res.status).toBe(status);
      expect(res.headers.get("www-authenticate")).toBe(
        'Bearer realm="tensoras", error="invalid_token", error_description="key [redacted] unknown"',
      );
      expect(res.headers.get("x-debug-key")).toBe("[redacted]");
      expect(res.headers.get("x-ratelimit-remaining")).toBe("9");
    }
  });

  it("redacts the key in a streamed (text/event-stream) error answer with a non-2xx status", async () => {
    const { key } = await seedKey();
    mockUpstream(() =>
      sseResponse([`data: {"error":{"message":"invalid key ${UPSTREAM_KEY.replace("-", "\\u002d")}"}}\n\n`, "data: [DONE]\n\n"], {
        status: 401,
      }),
    );
    const res = await chat(key, { model: "llama-3.3-70b", messages: [], stream: true });
    const text = await res.text();
    expect(res.status).toBe(401);
    expect(text).toBe('data: {"error":{"message":"invalid key [redacted]"}}\n\ndata: [DONE]\n\n');
  });
});
