/**
 * The Vercel AI SDK with its OpenAI-compatible provider pointed at the gateway.
 */
import { createOpenAICompatible, type OpenAICompatibleProvider } from "@ai-sdk/openai-compatible";
import { generateText, streamText, tool } from "ai";
import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createTeamAndKey, type TestKey } from "./helpers/admin";
import { GATEWAY_V1 } from "./helpers/env";
import { expectMetered, expectRelayedAsSent } from "./helpers/expectations";
import { settledMockRecord } from "./helpers/mock";
import { WireLog } from "./helpers/wire";

const MODEL = "llama-3.3-70b";

let key: TestKey;

function tensoras(wire: WireLog): OpenAICompatibleProvider {
  return createOpenAICompatible({ name: "tensoras", baseURL: GATEWAY_V1, apiKey: key.key, fetch: wire.fetch });
}

/** The mock's usage for the request, in the AI SDK's words. */
async function upstreamUsage(requestId: string) {
  const usage = (await settledMockRecord(requestId)).usage as { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  return { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, totalTokens: usage.total_tokens };
}

beforeAll(async () => {
  key = await createTeamAndKey("ai-sdk");
});

describe("Vercel AI SDK (@ai-sdk/openai-compatible) through the gateway", () => {
  it("generateText returns the text and Tensoras's usage", async () => {
    const wire = new WireLog();
    const result = await generateText({ model: tensoras(wire)(MODEL), prompt: "Hello from the AI SDK" });

    expect(result.text).toMatch(/^You said: Hello from the AI SDK\./);
    expect(result.finishReason).toBe("stop");
    expect(result.usage).toMatchObject(await upstreamUsage(wire.only().requestId));
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream", finishReason: "stop" });
  });

  it("streamText streams the text, and usage arrives without asking for it", async () => {
    const wire = new WireLog();
    const result = streamText({ model: tensoras(wire)(MODEL), prompt: "Hello from streamText" });
    let text = "";
    for await (const delta of result.textStream) text += delta;

    expect(text).toMatch(/^You said: Hello from streamText\. This is/);
    // The provider does not send include_usage by default; the gateway does, and
    // Tensoras's form (usage inside the last chunk) reaches the SDK unchanged.
    expect(wire.only().requestBody?.stream_options).toBeUndefined();
    expect(await result.usage).toMatchObject(await upstreamUsage(wire.only().requestId));
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream", finishReason: "stop" });
  });

  it("streamText with includeUsage reports the same usage", async () => {
    const wire = new WireLog();
    const provider = createOpenAICompatible({
      name: "tensoras",
      baseURL: GATEWAY_V1,
      apiKey: key.key,
      fetch: wire.fetch,
      includeUsage: true,
    });
    const result = streamText({ model: provider(MODEL), prompt: "Count my tokens" });
    await result.consumeStream();

    expect(wire.only().requestBody?.stream_options).toEqual({ include_usage: true });
    expect(await result.usage).toMatchObject(await upstreamUsage(wire.only().requestId));
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream" });
  });

  it("streams a tool call whose arguments arrive parsed against the zod inputSchema", async () => {
    const wire = new WireLog();
    const result = streamText({
      model: tensoras(wire)(MODEL),
      prompt: "What is the weather in Paris?",
      tools: {
        get_weather: tool({
          description: "Current weather for a city",
          inputSchema: z.object({ city: z.string(), unit: z.enum(["celsius", "fahrenheit"]) }),
        }),
      },
    });
    await result.consumeStream();

    const calls = await result.toolCalls;
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ type: "tool-call", toolName: "get_weather", input: { city: "Paris", unit: "celsius" } });
    expect(await result.finishReason).toBe("tool-calls");
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream", finishReason: "tool_calls" });
  });

  it("generateText makes the same tool call without streaming", async () => {
    const wire = new WireLog();
    const result = await generateText({
      model: tensoras(wire)(MODEL),
      prompt: "What is the weather in Paris?",
      tools: { get_weather: tool({ description: "Current weather for a city", inputSchema: z.object({ city: z.string() }) }) },
    });

    expect(result.toolCalls).toMatchObject([{ toolName: "get_weather", input: { city: "Paris" } }]);
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream", finishReason: "tool_calls" });
  });
});
