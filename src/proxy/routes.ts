import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { estimatedUsage, estimatePromptTokens } from "../metering/estimate";
import { type CheckedBody, maxRequestBytes, payloadTooLarge, readCheckedBody } from "./body";
import { withIncludeUsage } from "./include-usage";
import { relayResponse } from "./relay";
import { type BodySchema, ChatCompletionBody, CompletionBody, EmbeddingsBody } from "./schemas";
import { callTensoras } from "./upstream";

/** The Tensoras endpoints the gateway serves; any other /v1 path is a 404 and never forwarded. */
const POST_ROUTES: { path: string; schema: BodySchema; streams: boolean }[] = [
  { path: "/chat/completions", schema: ChatCompletionBody, streams: true },
  { path: "/completions", schema: CompletionBody, streams: true },
  { path: "/embeddings", schema: EmbeddingsBody, streams: false },
];
const GET_ROUTES = ["/models", "/models/:model{.+}"];

function assertModelAllowed(allowed: string[] | null, model: string): void {
  if (allowed !== null && !allowed.includes(model)) {
    throw new GatewayError(403, "model_not_allowed", `This key may not use the model "${model}".`, { param: "model" });
  }
}

function methodNotAllowed(allow: string) {
  return function methodNotAllowed(): never {
    throw new GatewayError(405, "method_not_allowed", `Method not allowed here; use ${allow}.`, { headers: { allow } });
  };
}

export const dataPlane = new Hono<AppEnv>();

for (const route of POST_ROUTES) {
  dataPlane.post(
    route.path,
    async function limitBody(c, next) {
      const limit = maxRequestBytes(c.env);
      return bodyLimit({ maxSize: limit, onError: () => { throw payloadTooLarge(limit); } })(c, next);
    },
    async function proxyJsonRequest(c) {
      const meter = c.get("meter");
      const checked: CheckedBody = await readCheckedBody(c, route.schema);
      const { body } = checked;
      meter.model = body.model;
      meter.stream = route.streams && body.stream === true;
      assertModelAllowed(c.get("apiKey").models, body.model);

      const forwarded = route.streams ? withIncludeUsage(checked.raw, checked.text, body) : { body: checked.raw, injected: false };
      const estimatePrompt = () => estimatePromptTokens(body);
      const upstream = await callTensoras(c.env, {
        request: c.req.raw,
        requestId: c.get("requestId"),
        body: forwarded.body,
        meter,
        estimatedUsage: () => estimatedUsage(estimatePrompt(), 0),
      });
      return relayResponse(upstream, {
        requestId: c.get("requestId"),
        meter,
        waitUntil: (work) => c.executionCtx.waitUntil(work),
        injectedIncludeUsage: forwarded.injected,
        costsTokens: true,
        estimatePromptTokens: estimatePrompt,
      });
    },
  );
  dataPlane.all(route.path, methodNotAllowed("POST"));
}

for (const path of GET_ROUTES) {
  dataPlane.get(path, async function proxyModels(c) {
    const meter = c.get("meter");
    const model = c.req.param("model");
    if (model !== undefined) {
      meter.model = model;
      assertModelAllowed(c.get("apiKey").models, model);
    }
    const upstream = await callTensoras(c.env, {
      request: c.req.raw,
      requestId: c.get("requestId"),
      body: null,
      meter,
    });
    return relayResponse(upstream, {
      requestId: c.get("requestId"),
      meter,
      waitUntil: (work) => c.executionCtx.waitUntil(work),
      injectedIncludeUsage: false,
      costsTokens: false,
      estimatePromptTokens: () => 0,
    });
  });
  dataPlane.all(path, methodNotAllowed("GET"));
}
