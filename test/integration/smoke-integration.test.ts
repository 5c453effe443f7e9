import { afterEach, describe, expect, it, vi } from "vitest";
import { chat, chunkEvent, mockUpstream, seedKey, sseResponse, USAGE, waitForUsage } from "../helpers/gateway";

afterEach(() => vi.restoreAllMocks());

describe("smoke", () => {
  it("streams a chat completion and meters it from the final chunk", async () => {
    const { key, keyId } = await seedKey();
    const events = [chunkEvent({ content: "Hi" }), chunkEvent({ content: "!", finish: "stop", usage: USAGE }), "data: [DONE]\n\n"];
    mockUpstream(() => sseResponse(events));
    const res = await chat(key, { model: "llama-3.3-70b", stream: true, messages: [{ role: "user", content: "Hello" }] });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(events.join(""));
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    expect(record).toMatchObject({
      key_id: keyId,
      outcome: "completed",
      prompt_tokens: 11,
      completion_tokens: 3,
      usage_source: "upstream",
    });
  });
});
