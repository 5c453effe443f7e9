/**
 * The official openai Node SDK pointed at the gateway by its base URL, as the
 * README tells people to: every feature a Tensoras user leans on.
 */
import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionTool } from "openai/resources/chat/completions";
import { beforeAll, describe, expect, it } from "vitest";
import { createTeamAndKey, type TestKey } from "./helpers/admin";
import { GATEWAY_V1 } from "./helpers/env";
import { expectMetered, expectRelayedAsSent } from "./helpers/expectations";
import { settledMockRecord } from "./helpers/mock";
import { WireLog } from "./helpers/wire";

const MODEL = "llama-3.3-70b";
const HELLO = [{ role: "user" as const, content: "Hello from the openai SDK" }];
const WEATHER_TOOL: ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

let key: TestKey;

function client(wire: WireLog): OpenAI {
  return new OpenAI({ baseURL: GATEWAY_V1, apiKey: key.key, fetch: wire.fetch });
}

/** Text of the content deltas, and the chunks themselves. */
async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
  const chunks: ChatCompletionChunk[] = [];
  let content = "";
  for await (const chunk of stream) {
    chunks.push(chunk);
    content += chunk.choices[0]?.delta?.content ?? "";
  }
  return { chunks, content };
}

beforeAll(async () => {
  key = await createTeamAndKey("openai-sdk");
});

describe("openai SDK through the gateway", () => {
  it("answers a chat completion without streaming, with Tensoras's usage on the bill", async () => {
    const wire = new WireLog();
    const { data, request_id } = await client(wire).chat.completions.create({ model: MODEL, messages: HELLO }).withResponse();

    expect(data.choices[0]?.message.content).toMatch(/^You said: Hello from the openai SDK\./);
    expect(data.usage?.completion_tokens).toBe(12);
    const exchange = wire.only();
    expect(request_id).toBe(exchange.requestId);
    expect((await expectRelayedAsSent(exchange)).withheld).toBe(0);
    await expectMetered(exchange, key, { outcome: "completed", usage: "upstream", finishReason: "stop" });
  });

  it("streams text, and the stream the SDK read is the one Tensoras sent", async () => {
    const wire = new WireLog();
    const { data: stream, request_id } = await client(wire)
      .chat.completions.create({ model: MODEL, messages: HELLO, stream: true })
      .withResponse();
    const { chunks, content } = await collect(stream);

    expect(content).toMatch(/^You said: Hello from the openai SDK\. This is/);
    // Tensoras's form: usage rides in the last chunk, which has choices; no usage-only chunk.
    expect(chunks.every((chunk) => chunk.choices.length === 1)).toBe(true);
    const exchange = wire.only();
    expect(request_id).toBe(exchange.requestId);
    expect((await expectRelayedAsSent(exchange)).withheld).toBe(0);
    await expectMetered(exchange, key, { outcome: "completed", usage: "upstream", finishReason: "stop" });
  });

  it("shows usage on the last chunk when the caller asks for include_usage", async () => {
    const wire = new WireLog();
    const stream = await client(wire).chat.completions.create({
      model: MODEL,
      messages: HELLO,
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks } = await collect(stream);

    const last = chunks.at(-1);
    expect(last?.choices[0]?.finish_reason).toBe("stop");
    const upstream = await settledMockRecord(wire.only().requestId);
    expect(last?.usage).toEqual(upstream.usage);
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream" });
  });

  it("passes an OpenAI-style usage-only chunk to a caller that asked for usage", async () => {
    const wire = new WireLog();
    const stream = await client(wire).chat.completions.create(
      { model: MODEL, messages: HELLO, stream: true, stream_options: { include_usage: true } },
      { headers: { "x-mock-usage-style": "openai" } },
    );
    const { chunks } = await collect(stream);

    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.total_tokens).toBeGreaterThan(0);
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream" });
  });

  it("withholds the usage-only chunk the caller did not ask for, and still bills it", async () => {
    const wire = new WireLog();
    const stream = await client(wire).chat.completions.create(
      { model: MODEL, messages: HELLO, stream: true },
      { headers: { "x-mock-usage-style": "openai" } },
    );
    // Written like Tensoras's own Node example: would throw on a `choices: []` chunk.
    let content = "";
    for await (const chunk of stream) content += (chunk.choices[0] as ChatCompletionChunk.Choice).delta.content ?? "";

    expect(content).toMatch(/^You said:/);
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(1);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream" });
  });

  it("reassembles streamed tool-call arguments with chat.completions.stream()", async () => {
    const wire = new WireLog();
    const stream = client(wire).chat.completions.stream({
      model: MODEL,
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      tools: [WEATHER_TOOL],
    });
    const final = await stream.finalChatCompletion();

    const choice = final.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({ city: "Paris" });
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream", finishReason: "tool_calls" });
  });

  it("returns parseable JSON in JSON mode", async () => {
    const wire = new WireLog();
    const completion = await client(wire).chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Reply in JSON" }],
      response_format: { type: "json_object" },
    });

    expect(JSON.parse(completion.choices[0]?.message.content ?? "")).toEqual({ reply: "You said: Reply in JSON", model: MODEL });
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream" });
  });

  it("streams JSON mode in pieces that join into parseable JSON", async () => {
    const wire = new WireLog();
    const stream = await client(wire).chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Reply in JSON" }],
      response_format: { type: "json_object" },
      stream: true,
    });
    const { content } = await collect(stream);

    expect(JSON.parse(content)).toEqual({ reply: "You said: Reply in JSON", model: MODEL });
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream" });
  });

  it("streams a reasoning model's reasoning_content deltas, and bills its reasoning tokens", async () => {
    const wire = new WireLog();
    const stream = await client(wire).chat.completions.create({
      model: "deepseek-r1-distill-70b",
      messages: [{ role: "user", content: "Think first" }],
      stream: true,
    });
    let reasoning = "";
    let content = "";
    for await (const chunk of stream) {
      // Not in the SDK's types: a provider extension the SDK passes through.
      const delta = chunk.choices[0]?.delta as { content?: string | null; reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? "";
      content += delta?.content ?? "";
    }

    expect(reasoning).toMatch(/^Thinking about: Think first\./);
    expect(content).toMatch(/^You said: Think first\./);
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    const record = await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream" });
    expect(record.reasoning_tokens).toBe(6);
  });

  it("creates embeddings (the SDK's default base64 encoding included)", async () => {
    const wire = new WireLog();
    const result = await client(wire).embeddings.create({ model: "llama-3.1-8b", input: ["first text", "second text"] });

    expect(result.data).toHaveLength(2);
    for (const item of result.data) {
      expect(item.embedding).toHaveLength(8);
      expect(item.embedding.every((value) => Number.isFinite(value) && value >= -1 && value < 1)).toBe(true);
    }
    expect(wire.only().requestBody?.encoding_format).toBe("base64");
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream" });
  });

  it("lists the models, unbilled", async () => {
    const wire = new WireLog();
    const ids: string[] = [];
    for await (const model of client(wire).models.list()) ids.push(model.id);

    expect(ids).toEqual([
      "llama-3.3-70b",
      "llama-3.1-8b",
      "qwen-3-32b",
      "mistral-7b-instruct",
      "deepseek-r1-distill-70b",
      "codestral-latest",
      "bge-large-en-v1.5",
    ]);
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "none", model: null });
  });

  it("bills an aborted stream as client_aborted, and the upstream request is cancelled", async () => {
    const wire = new WireLog();
    const controller = new AbortController();
    const stream = await client(wire).chat.completions.create(
      { model: MODEL, messages: HELLO, stream: true },
      { signal: controller.signal, headers: { "x-mock-events": "400", "x-mock-interval-ms": "25" } },
    );
    let seen = 0;
    // The SDK ends the loop quietly on an abort (no APIUserAbortError from the iterator).
    for await (const _chunk of stream) {
      if (++seen === 3) controller.abort();
    }

    expect(seen).toBeGreaterThanOrEqual(3);
    const exchange = wire.only();
    expect((await exchange.received).end).not.toBe("complete");
    expect((await expectRelayedAsSent(exchange)).whole).toBe(false);
    const upstream = await settledMockRecord(exchange.requestId);
    expect(upstream.outcome).toBe("client-closed");
    expect(upstream.events).toBeLessThan(400);
    const record = await expectMetered(exchange, key, { outcome: "client_aborted", usage: "estimated" });
    expect(record.completion_tokens).toBeLessThanOrEqual(upstream.events);
  });
});
