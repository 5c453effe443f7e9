/**
 * Errors arrive as each SDK expects them: the gateway's own in the OpenAI shape,
 * Tensoras's passed through with their headers, and each is billed (or not) as
 * the README says.
 */
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { ChatOpenAI } from "@langchain/openai";
import { APICallError, generateText } from "ai";
import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { generateKey } from "../../src/auth/key-format";
import { createKey, createTeam, ledgerRecordsWithId, type TestKey, waitForLedger } from "./helpers/admin";
import { GATEWAY_V1 } from "./helpers/env";
import { expectMetered, expectNotForwarded, expectRelayedAsSent } from "./helpers/expectations";
import { WireLog } from "./helpers/wire";

const MODEL = "llama-3.3-70b";
const MESSAGES = [{ role: "user" as const, content: "Hello" }];
const RATE_LIMITED = { "x-mock-status": "429", "x-mock-retry-after": "7" };

let key: TestKey;
/** May use llama-3.1-8b only. */
let narrowKey: TestKey;

function openai(wire: WireLog, apiKey = key.key, maxRetries?: number): OpenAI {
  return new OpenAI({ baseURL: GATEWAY_V1, apiKey, fetch: wire.fetch, maxRetries });
}

/** Resolves with what `promise` rejected with; fails if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail, and it succeeded");
}

/**
 * An unauthenticated request is never billed: no key, no record. A later request's
 * record reaching the ledger shows the queue has delivered everything sent before it.
 */
async function expectUnbilled(requestId: string): Promise<void> {
  await expectNotForwarded(requestId);
  const wire = new WireLog();
  await openai(wire).models.list();
  await waitForLedger(key.keyId, wire.only().requestId);
  expect(await ledgerRecordsWithId(requestId)).toEqual([]);
}

beforeAll(async () => {
  const teamId = await createTeam("errors");
  key = await createKey(teamId, { name: "errors" });
  narrowKey = await createKey(teamId, { name: "errors narrow", models: ["llama-3.1-8b"] });
});

describe("openai SDK error classes", () => {
  it("a key the gateway does not know → AuthenticationError (401, invalid_api_key), unbilled", async () => {
    const wire = new WireLog();
    const error = await rejection(openai(wire, generateKey()).chat.completions.create({ model: MODEL, messages: MESSAGES }));

    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: "invalid_api_key", type: "authentication_error" });
    await expectUnbilled(wire.only().requestId);
  });

  it("something that is not a gateway key → AuthenticationError (401, malformed_api_key), unbilled", async () => {
    const wire = new WireLog();
    const error = await rejection(
      openai(wire, "sk-this-is-not-a-gateway-key").chat.completions.create({ model: MODEL, messages: MESSAGES }),
    );

    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: "malformed_api_key" });
    await expectUnbilled(wire.only().requestId);
  });

  it("a model outside the key's allowlist → PermissionDeniedError (403), billed as rejected", async () => {
    const wire = new WireLog();
    const error = await rejection(openai(wire, narrowKey.key).chat.completions.create({ model: MODEL, messages: MESSAGES }));

    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error).toMatchObject({ status: 403, code: "model_not_allowed", param: "model" });
    await expectNotForwarded(wire.only().requestId);
    await expectMetered(wire.only(), narrowKey, { outcome: "rejected", usage: "none", status: 403 });
  });

  it("messages that are not an array (a raw body) → BadRequestError (400) naming the field", async () => {
    const wire = new WireLog();
    const error = await rejection(openai(wire).post("/chat/completions", { body: { model: MODEL, messages: "Hello" } }));

    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, code: "invalid_request_body", param: "messages" });
    await expectNotForwarded(wire.only().requestId);
    // Refused for another field, the request is still recorded under the model it named.
    await expectMetered(wire.only(), key, { outcome: "rejected", usage: "none", status: 400, model: MODEL });
  });

  it("Tensoras's 429 → RateLimitError with Retry-After intact, billed as upstream_error", async () => {
    const wire = new WireLog();
    const error = await rejection(
      openai(wire, key.key, 0).chat.completions.create({ model: MODEL, messages: MESSAGES, stream: true }, { headers: RATE_LIMITED }),
    );

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const rateLimit = error as InstanceType<typeof OpenAI.RateLimitError>;
    expect(rateLimit.headers?.get("retry-after")).toBe("7");
    expect(rateLimit).toMatchObject({ status: 429, code: "rate_limit_exceeded", type: "rate_limit_error" });
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "upstream_error", usage: "none", status: 429 });
  });
});

describe("Vercel AI SDK errors", () => {
  function model(wire: WireLog, apiKey: string, name = MODEL) {
    return createOpenAICompatible({ name: "tensoras", baseURL: GATEWAY_V1, apiKey, fetch: wire.fetch })(name);
  }

  it("a wrong key → APICallError 401, not retryable", async () => {
    const wire = new WireLog();
    const error = await rejection(generateText({ model: model(wire, generateKey()), prompt: "Hello" }));

    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 401, isRetryable: false });
    await expectUnbilled(wire.only().requestId);
  });

  it("a model outside the allowlist → APICallError 403", async () => {
    const wire = new WireLog();
    const error = await rejection(generateText({ model: model(wire, narrowKey.key), prompt: "Hello" }));

    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 403, isRetryable: false });
    await expectMetered(wire.only(), narrowKey, { outcome: "rejected", usage: "none", status: 403 });
  });

  it("Tensoras's 429 → retryable APICallError with Retry-After in its response headers", async () => {
    const wire = new WireLog();
    const error = await rejection(generateText({ model: model(wire, key.key), prompt: "Hello", headers: RATE_LIMITED, maxRetries: 0 }));

    expect(APICallError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ statusCode: 429, isRetryable: true, responseHeaders: expect.objectContaining({ "retry-after": "7" }) });
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "upstream_error", usage: "none", status: 429 });
  });
});

describe("LangChain ChatOpenAI errors", () => {
  function chatModel(wire: WireLog, apiKey: string, headers: Record<string, string> = {}) {
    return new ChatOpenAI({
      model: MODEL,
      apiKey,
      maxRetries: 0,
      configuration: { baseURL: GATEWAY_V1, fetch: wire.fetch, defaultHeaders: headers },
    });
  }

  it("a wrong key → the openai AuthenticationError, tagged MODEL_AUTHENTICATION", async () => {
    const wire = new WireLog();
    const error = await rejection(chatModel(wire, generateKey()).invoke("Hello"));

    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, lc_error_code: "MODEL_AUTHENTICATION" });
    await expectUnbilled(wire.only().requestId);
  });

  it("Tensoras's 429 → RateLimitError with Retry-After intact", async () => {
    const wire = new WireLog();
    const error = await rejection(chatModel(wire, key.key, RATE_LIMITED).invoke("Hello"));

    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers?.get("retry-after")).toBe("7");
    expect((await expectRelayedAsSent(wire.only())).withheld).toBe(0);
    await expectMetered(wire.only(), key, { outcome: "upstream_error", usage: "none", status: 429 });
  });
});
