import { type Context, Hono } from "hono";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { holdLimits, rateLimitResponseHeaders } from "../limits/request-limits";
import { estimatePromptTokens } from "../metering/estimate";
import { limitBody, maxRequestBytes, readCheckedBody } from "./body";
import { limitRequestHeaders } from "./header-limit";
import { withIncludeUsage } from "./include-usage";
import { relayResponse } from "./relay";
import { type BodySchema, ChatCompletionBody, CompletionBody, EmbeddingsBody } from "./schemas";
import { callTensoras } from "./upstream";

/** The Tensoras endpoints the gateway serves; any other /v1 path is a 404 and never forwarded. */
/** `generates`: the answer has output tokens (reserved at the worst case); embeddings have none. */
const POST_ROUTES: { path: string; schema: BodySchema; streams: boolean; generates: boolean }[] = [
  { path: "/chat/completions", schema: ChatCompletionBody, streams: true, generates: true },
  { path: "/completions", schema: CompletionBody, streams: true, generates: true },
  { path: "/embeddings", schema: EmbeddingsBody, streams: false, generates: false },
];
const GET_ROUTES = ["/models", "/models/:model{.+}"];

function assertModelAllowed(c: Context<AppEnv>, model: string): void {
  const allowed = c.get("apiKey").models;
  if (allowed !== null && !allowed.includes(model)) {
    throw new GatewayError(403, "model_not_allowed", `This key may not use the model "${model}".`, { param: "model" });
  }
}

function methodNotAllowed(allow: string) {
  return function methodNotAllowed(): never {
    throw new GatewayError(405, "method_not_allowed", `Method not allowed here; use ${allow}.`, { headers: { allow } });
  };
}

interface ForwardOptions {
  body: BodyInit | null;
  injectedIncludeUsage: boolean;
  /** Present for endpoints that cost tokens: the prompt's estimated size. */
  estimatePromptTokens?: () => number;
}

async function forward(c: Context<AppEnv>, options: ForwardOptions): Promise<Response> {
  const meter = c.get("meter");
  const requestId = c.get("requestId");
  const estimatePrompt = options.estimatePromptTokens;
  // Sent beside the upstream call, not before it: durable should the isolate die mid-request.
  meter.noteStarted(estimatePrompt ? estimatePrompt() : 0, estimatePrompt !== undefined);
  const upstream = await callTensoras(c.env, {
    request: c.req.raw,
    requestId,
    body: options.body,
    meter,
    estimatePromptTokens: estimatePrompt,
  });
  return relayResponse(upstream, {
    requestId,
    upstreamKey: c.env.TENSORAS_API_KEY ?? "",
    meter,
    waitUntil: (work) => c.executionCtx.waitUntil(work),
    injectedIncludeUsage: options.injectedIncludeUsage,
    estimatePromptTokens: estimatePrompt,
  });
}

export const dataPlane = new Hono<AppEnv>();

dataPlane.use(limitRequestHeaders(), rateLimitResponseHeaders());

for (const route of POST_ROUTES) {
  dataPlane.post(route.path, limitBody(maxRequestBytes), async function proxyJsonRequest(c) {
    const checked = await readCheckedBody(c, route.schema);
    const { body } = checked;
    const meter = c.get("meter");
    meter.model = body.model;
    meter.stream = route.streams && body.stream === true;
    assertModelAllowed(c, body.model);
    await holdLimits(c, {
      model: meter.model,
      tokens: { bodyBytes: checked.raw.byteLength, body, generates: route.generates },
    });
    const forwarded = route.streams ? withIncludeUsage(checked.raw, checked.text, body) : { body: checked.raw, injected: false };
    return forward(c, {
      body: forwarded.body,
      injectedIncludeUsage: forwarded.injected,
      estimatePromptTokens: () => estimatePromptTokens(body),
    });
  });
  dataPlane.all(route.path, methodNotAllowed("POST"));
}

for (const path of GET_ROUTES) {
  dataPlane.get(path, async function proxyModels(c) {
    // Hono answers HEAD with the GET route: refused here, never forwarded (recorded as rejected, like any wrong method).
    if (c.req.method === "HEAD") methodNotAllowed("GET")();
    const model = c.req.param("model");
    if (model !== undefined) {
      c.get("meter").model = model;
      assertModelAllowed(c, model);
    }
    await holdLimits(c, { model: model ?? null });
    return forward(c, { body: null, injectedIncludeUsage: false });
  });
  dataPlane.all(path, methodNotAllowed("GET"));
}
