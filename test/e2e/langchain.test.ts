/**
 * LangChain JS's ChatOpenAI with a custom baseURL pointed at the gateway.
 */
import { ChatOpenAI } from "@langchain/openai";
import { beforeAll, describe, expect, it } from "vitest";
import { createTeamAndKey, type TestKey } from "./helpers/admin";
import { GATEWAY_V1 } from "./helpers/env";
import { expectMetered, expectRelayedAsSent } from "./helpers/expectations";
import { settledMockRecord } from "./helpers/mock";
import { WireLog } from "./helpers/wire";

let key: TestKey;

function chatModel(wire: WireLog): ChatOpenAI {
  return new ChatOpenAI({ model: "llama-3.3-70b", apiKey: key.key, configuration: { baseURL: GATEWAY_V1, fetch: wire.fetch } });
}

async function upstreamUsage(requestId: string) {
  const usage = (await settledMockRecord(requestId)).usage as { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  return { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens, total_tokens: usage.total_tokens };
}

beforeAll(async () => {
  key = await createTeamAndKey("langchain");
});

describe("LangChain ChatOpenAI through the gateway", () => {
  it("invoke returns the message with its usage metadata", async () => {
    const wire = new WireLog();
    const message = await chatModel(wire).invoke("Hello from LangChain");

    expect(message.content).toMatch(/^You said: Hello from LangChain\./);
    expect(message.usage_metadata).toMatchObject(await upstreamUsage(wire.only().requestId));
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream", finishReason: "stop" });
  });

  it("stream yields the text in chunks, and usage with the last", async () => {
    const wire = new WireLog();
    let text = "";
    let usage: unknown;
    for await (const chunk of await chatModel(wire).stream("Hello from a LangChain stream")) {
      text += chunk.content;
      usage = chunk.usage_metadata ?? usage;
    }

    expect(text).toMatch(/^You said: Hello from a LangChain stream\. This is/);
    // ChatOpenAI asks for include_usage itself (streamUsage defaults to true).
    expect(wire.only().requestBody?.stream_options).toEqual({ include_usage: true });
    expect(usage).toMatchObject(await upstreamUsage(wire.only().requestId));
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "completed", usage: "upstream", finishReason: "stop" });
  });
});
