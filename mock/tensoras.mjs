#!/usr/bin/env node
/**
 * A mock Tensoras upstream (OpenAI-compatible) for the dev loop, the e2e suite and
 * the benchmark. Deterministic output, controllable through `x-mock-*` request
 * headers (see mock/README.md), real backpressure, and a record of every request
 * with the exact bytes sent so a test can compare them with what the gateway returned.
 *
 * Library: `const mock = await startMockTensoras({ apiKey: "k" })`.
 * CLI:     `node mock/tensoras.mjs --port 8788 [--host 127.0.0.1] [--api-key X] [--quiet] [--no-raw]`.
 */
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export const MODELS = ["llama-3.3-70b", "llama-3.1-8b", "qwen-3-32b", "mistral-7b-instruct", "deepseek-r1-distill-70b", "codestral-latest"];
/**
 * Tensoras's embedding model and its vector size, as its API reference documents them: what a
 * user who asks /v1/models for an embedding model finds. Chat models embed too (8 floats), as
 * the suites and the benchmark have always used them.
 */
export const EMBEDDING_MODELS = { "bge-large-en-v1.5": 1024 };
const CHAT_MODEL_EMBEDDING_SIZE = 8;
const isEmbeddingModel = (model) => typeof model === "string" && Object.hasOwn(EMBEDDING_MODELS, model);
const REASONING_MODELS = new Set(["deepseek-r1-distill-70b"]);
const MODEL_CREATED = 1735689600; // 2025-01-01, fixed so /v1/models is byte-stable
const DEFAULT_EVENTS = 12;
const BULK_EVENT_BYTES = 16 * 1024;
const RAW_KEEP_LIMIT = 2 * 1024 * 1024;
const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/** The oldest records are forgotten past this many, so a long dev session stays small. */
const MAX_RECORDS = 10_000;
const FILLER = "This is a deterministic reply from the mock Tensoras upstream, one token per event.".split(" ");

/**
 * @typedef {object} MockRequest
 * @property {string} mockId         the `x-request-id` this mock answered with (`mock-<n>`)
 * @property {string | null} id      the caller's `x-request-id` (the gateway's request id)
 * @property {string} method
 * @property {string} path
 * @property {Record<string, string>} headers  lower-case names
 * @property {any} body              parsed JSON, or null
 * @property {number} status
 * @property {number} bytesSent      body bytes handed to the socket
 * @property {number} events         SSE `data:` events written
 * @property {boolean} aborted       the client went away before the response ended
 * @property {"pending"|"complete"|"client-closed"|"dropped"|"error-event"} outcome
 * @property {any} usage             the usage this response reported (or would have), or null
 * @property {Buffer | null} rawResponse  exact body bytes, kept for bodies under 2 MB
 */

/** @param {string} message @param {string} type @param {string | null} code @param {string | null} [param] */
function errorBody(message, type, code, param = null) {
  return { error: { message, type, param, code } };
}

const STATUS_ERRORS = /** @type {Record<number, [string, string]>} */ ({
  400: ["invalid_request_error", "invalid_request"],
  401: ["authentication_error", "invalid_api_key"],
  403: ["permission_error", "permission_denied"],
  404: ["invalid_request_error", "not_found"],
  408: ["timeout_error", "timeout"],
  413: ["invalid_request_error", "request_too_large"],
  429: ["rate_limit_error", "rate_limit_exceeded"],
  500: ["server_error", "internal_error"],
  502: ["server_error", "bad_gateway"],
  503: ["server_error", "overloaded"],
  504: ["server_error", "timeout"],
});

// ---------------------------------------------------------------- knobs

/** @param {import("node:http").IncomingHttpHeaders} headers */
function readKnobs(headers) {
  /** @param {string} name */
  const int = (name) => {
    const value = Number.parseInt(String(headers[name] ?? ""), 10);
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  return {
    usageStyle: String(headers["x-mock-usage-style"] ?? "tensoras"),
    events: int("x-mock-events") ?? DEFAULT_EVENTS,
    intervalMs: int("x-mock-interval-ms") ?? 0,
    status: int("x-mock-status"),
    retryAfter: headers["x-mock-retry-after"],
    failAfter: int("x-mock-fail-after"),
    errorEventAfter: int("x-mock-error-event-after"),
    delayHeadersMs: int("x-mock-delay-headers-ms") ?? 0,
    bodyBytes: int("x-mock-body-bytes"),
  };
}

// ---------------------------------------------------------------- deterministic content

/** ceil(chars / 4), at least 1 for non-empty text. */
function estimateTokens(text) {
  return Math.ceil(text.length / 4);
}

/** Text of an OpenAI message `content`: a string or an array of parts. */
function contentText(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => (typeof part?.text === "string" ? part.text : "")).join("");
  return "";
}

function lastUserText(messages) {
  const user = [...messages].reverse().find((message) => message?.role === "user");
  return user ? contentText(user.content) : "";
}

/** `count` word tokens: the lead sentence first, then filler, cycling; the first has no leading space. */
function wordTokens(lead, count) {
  if (!/[.!?]$/.test(lead)) lead += ".";
  const words = [...lead.split(/\s+/).filter(Boolean), ...FILLER];
  return Array.from({ length: count }, (_, i) => (i === 0 ? "" : " ") + words[i % words.length]);
}

/** Splits text into at most `count` pieces of near-equal length (mid-word, mid-JSON). */
function splitPieces(text, count) {
  const n = Math.max(1, Math.min(count, text.length));
  const size = Math.ceil(text.length / n);
  const pieces = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

/** A value matching a JSON schema, good enough for tool arguments and json_schema mode. */
function sampleFromSchema(schema, name = "") {
  if (!schema || typeof schema !== "object") return "example";
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "object" || schema.properties) {
    const out = {};
    for (const [key, value] of Object.entries(schema.properties ?? {})) out[key] = sampleFromSchema(value, key);
    return out;
  }
  if (type === "array") return [sampleFromSchema(schema.items, name)];
  if (type === "integer") return 3;
  if (type === "number") return 21.5;
  if (type === "boolean") return true;
  if (type === "null") return null;
  const samples = { city: "Paris", location: "Paris, France", country: "France", unit: "celsius", query: "weather in Paris" };
  return samples[name.toLowerCase()] ?? `example ${name}`.trim();
}

/** `size` deterministic floats in [-1, 1) from the input text (8 per SHA-256 block). */
function embeddingOf(text, size) {
  const blocks = Array.from({ length: Math.ceil(size / 8) }, (_, block) =>
    createHash("sha256")
      .update(block === 0 ? text : `${text}\u0000${block}`)
      .digest(),
  );
  return Array.from({ length: size }, (_, i) => {
    const word = blocks[Math.floor(i / 8)].readUInt32BE((i % 8) * 4);
    return Math.round((word / 2 ** 31 - 1) * 1e6) / 1e6;
  });
}

/**
 * What a completion will say, shared by the JSON and the streamed forms.
 * @returns {{ reasoning: string[], content: string[], tool: null | { id: string, name: string, pieces: string[] }, finishReason: string, usage: any }}
 */
function planCompletion(body, knobs, mockId, promptText) {
  const limit = body.max_completion_tokens ?? body.max_tokens;
  let events = knobs.events;
  let finishReason = "stop";
  if (Number.isInteger(limit) && limit < events) [events, finishReason] = [limit, "length"];
  const userText = body.messages ? lastUserText(body.messages) : contentText(body.prompt);
  const reasoning = REASONING_MODELS.has(body.model) ? wordTokens(`Thinking about: ${userText || "(nothing)"}`, Math.ceil(events / 2)) : [];
  let content = [];
  let tool = null;
  const tools = Array.isArray(body.tools) ? body.tools.filter((t) => t?.type === "function") : [];
  if (knobs.bodyBytes !== undefined) {
    const piece = "x".repeat(BULK_EVENT_BYTES - 256);
    content = Array.from({ length: Math.max(1, Math.ceil(knobs.bodyBytes / BULK_EVENT_BYTES)) }, () => piece);
  } else if (tools.length > 0 && body.tool_choice !== "none") {
    const wanted = body.tool_choice?.function?.name;
    const fn = (tools.find((t) => t.function?.name === wanted) ?? tools[0]).function;
    const args = JSON.stringify(sampleFromSchema(fn.parameters ?? { type: "object" }));
    tool = { id: `call_${mockId.replace("-", "_")}_0`, name: fn.name, pieces: splitPieces(args, Math.max(3, events)) };
    finishReason = "tool_calls";
  } else if (body.response_format?.type === "json_object" || body.response_format?.type === "json_schema") {
    const schema = body.response_format.json_schema?.schema;
    const value = schema ? sampleFromSchema(schema) : { reply: `You said: ${userText}`, model: body.model };
    content = splitPieces(JSON.stringify(value), events);
  } else {
    content = wordTokens(`You said: ${userText || "(nothing)"}`, events);
  }
  const completionTokens = reasoning.length + (tool ? tool.pieces.length : content.length);
  const promptTokens = Math.max(1, estimateTokens(promptText));
  const usage = {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: reasoning.length },
  };
  return { reasoning, content, tool, finishReason, usage };
}

// ---------------------------------------------------------------- writing with backpressure

/** Resolves on 'drain' or 'close', whichever comes first. */
function waitForDrain(res) {
  return new Promise((done) => {
    const finish = () => {
      res.off("drain", finish);
      res.off("close", finish);
      done(undefined);
    };
    res.on("drain", finish);
    res.on("close", finish);
  });
}

/** setTimeout that ends early when the client goes away. */
function pause(res, ms) {
  if (ms <= 0 || res.closed) return Promise.resolve();
  return new Promise((done) => {
    const finish = () => {
      clearTimeout(timer);
      res.off("close", finish);
      done(undefined);
    };
    const timer = setTimeout(finish, ms);
    res.on("close", finish);
  });
}

/** Writes one piece, counts and keeps it, and waits for 'drain' when the socket is full. */
async function send(res, record, data) {
  if (res.closed || res.destroyed) return false;
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  record.bytesSent += bytes.length;
  if (record.rawChunks) {
    record.rawChunks.push(bytes);
    if (record.bytesSent > RAW_KEEP_LIMIT) record.rawChunks = null;
  }
  if (!res.write(bytes)) await waitForDrain(res);
  return !res.closed;
}

function finishRecord(record, outcome) {
  if (record.outcome !== "pending") return;
  record.outcome = outcome;
  record.rawResponse = record.rawChunks ? Buffer.concat(record.rawChunks) : null;
  record.rawChunks = null;
}

async function sendJson(res, record, status, value, extraHeaders = {}) {
  record.status = status;
  res.writeHead(status, { "content-type": "application/json", ...extraHeaders });
  const text = Buffer.from(JSON.stringify(value));
  if (record.knobs.failAfter !== undefined) {
    await send(res, record, text.subarray(0, text.length >> 1));
    return dropConnection(res, record);
  }
  for (let i = 0; i < text.length; i += BULK_EVENT_BYTES) {
    if (!(await send(res, record, text.subarray(i, i + BULK_EVENT_BYTES)))) return;
  }
  res.end();
}

function sendError(res, record, status, message, code, param = null) {
  const [type, defaultCode] = STATUS_ERRORS[status] ?? ["server_error", "error"];
  return sendJson(res, record, status, errorBody(message, type, code ?? defaultCode, param));
}

/** Cuts the connection like a crashed upstream, after what was written so far reached the socket. */
async function dropConnection(res, record) {
  finishRecord(record, "dropped");
  const socket = res.socket;
  if (!socket) return;
  await new Promise((done) => setImmediate(done)); // node:http uncorks on the next tick
  while (!socket.destroyed && socket.writableLength > 0) await once(socket, "drain");
  socket.destroy();
}

// ---------------------------------------------------------------- streaming

/** Builds the SSE chunk objects of one completion, in order, lazily. */
function* streamChunks(plan, body, knobs, base, isChat) {
  const wantUsage = body.stream_options?.include_usage === true || knobs.usageStyle === "always";
  const openaiStyle = knobs.usageStyle === "openai";
  const extra = wantUsage && openaiStyle ? { usage: null } : {};
  const choice = (fields, finishReason = null) =>
    isChat
      ? { index: 0, delta: fields, logprobs: null, finish_reason: finishReason }
      : { index: 0, text: fields.text ?? "", logprobs: null, finish_reason: finishReason };
  const chunk = (choices, more = extra) => ({ ...base, choices, ...more });
  if (isChat) {
    const first = plan.tool
      ? {
          role: "assistant",
          content: null,
          tool_calls: [{ index: 0, id: plan.tool.id, type: "function", function: { name: plan.tool.name, arguments: "" } }],
        }
      : { role: "assistant", content: "" };
    yield chunk([choice(first)]);
  }
  for (const piece of plan.reasoning) yield chunk([choice({ reasoning_content: piece })]);
  if (plan.tool) {
    for (const piece of plan.tool.pieces) yield chunk([choice({ tool_calls: [{ index: 0, function: { arguments: piece } }] })]);
  }
  for (const piece of plan.content) yield chunk([choice(isChat ? { content: piece } : { text: piece })]);
  const last = choice(isChat ? {} : { text: "" }, plan.finishReason);
  if (wantUsage && !openaiStyle) yield chunk([last], { usage: plan.usage });
  else yield chunk([last]);
  if (wantUsage && openaiStyle) yield chunk([], { usage: plan.usage });
}

async function streamCompletion(res, record, plan, base, isChat) {
  const { knobs, body } = record;
  record.status = 200;
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
  res.flushHeaders();
  let cached = { piece: /** @type {any} */ (null), bytes: Buffer.alloc(0) };
  for (const chunk of streamChunks(plan, body, knobs, base, isChat)) {
    if (record.events === knobs.failAfter) return dropConnection(res, record);
    if (record.events === knobs.errorEventAfter) {
      const error = errorBody("The mock upstream failed mid-stream.", "server_error", "internal_error");
      await send(res, record, `data: ${JSON.stringify(error)}\n\n`);
      finishRecord(record, "error-event");
      return res.end();
    }
    if (record.events > 0) await pause(res, knobs.intervalMs);
    // Bulk events repeat one 16 KiB piece: serialise it once.
    const piece = chunk.choices[0]?.delta?.content ?? chunk.choices[0]?.text;
    const bytes = piece && piece === cached.piece ? cached.bytes : Buffer.from(`data: ${JSON.stringify(chunk)}\n\n`);
    if (piece && piece.length > 1024) cached = { piece, bytes };
    if (!(await send(res, record, bytes))) return;
    record.events++;
  }
  if (record.events === knobs.failAfter) return dropConnection(res, record);
  if (await send(res, record, "data: [DONE]\n\n")) res.end();
}

// ---------------------------------------------------------------- endpoints

function requireModel(res, record, body) {
  if (typeof body?.model !== "string") {
    sendError(res, record, 400, "you must provide a model parameter", "missing_required_parameter", "model");
    return false;
  }
  if (isEmbeddingModel(body.model)) {
    sendError(res, record, 400, `\`${body.model}\` is an embedding model: use /v1/embeddings.`, "model_not_supported", "model");
    return false;
  }
  if (!MODELS.includes(body.model)) {
    sendError(res, record, 404, `The model \`${body.model}\` does not exist or you do not have access to it.`, "model_not_found", "model");
    return false;
  }
  return true;
}

function completionBase(record, object) {
  return {
    id: `${object.startsWith("chat.") ? "chatcmpl" : "cmpl"}-${record.mockId}`,
    object,
    created: Math.floor(Date.now() / 1000),
    model: record.body.model,
    system_fingerprint: "fp_mock",
  };
}

async function chatCompletions(res, record) {
  const { body, knobs } = record;
  if (!requireModel(res, record, body)) return;
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return sendError(res, record, 400, "'messages' must be a non-empty array", "invalid_value", "messages");
  }
  const promptText = body.messages.map((m) => contentText(m?.content)).join("\n");
  const plan = planCompletion(body, knobs, record.mockId, promptText);
  record.usage = plan.usage;
  if (body.stream === true) return streamCompletion(res, record, plan, completionBase(record, "chat.completion.chunk"), true);
  const message = { role: "assistant", content: plan.tool ? null : plan.content.join("") };
  if (plan.reasoning.length > 0) message.reasoning_content = plan.reasoning.join("");
  if (plan.tool) {
    message.tool_calls = [{ id: plan.tool.id, type: "function", function: { name: plan.tool.name, arguments: plan.tool.pieces.join("") } }];
  }
  const choices = [{ index: 0, message, logprobs: null, finish_reason: plan.finishReason }];
  return sendJson(res, record, 200, { ...completionBase(record, "chat.completion"), choices, usage: plan.usage });
}

async function textCompletions(res, record) {
  const { body, knobs } = record;
  if (!requireModel(res, record, body)) return;
  if (body.prompt === undefined)
    return sendError(res, record, 400, "you must provide a prompt parameter", "missing_required_parameter", "prompt");
  const plan = planCompletion({ ...body, tools: undefined }, knobs, record.mockId, contentText(body.prompt));
  record.usage = plan.usage;
  const base = completionBase(record, "text_completion");
  if (body.stream === true) return streamCompletion(res, record, plan, base, false);
  const choices = [{ index: 0, text: plan.content.join(""), logprobs: null, finish_reason: plan.finishReason }];
  return sendJson(res, record, 200, { ...base, choices, usage: plan.usage });
}

async function embeddings(res, record) {
  const { body } = record;
  const embeddingModel = isEmbeddingModel(body?.model);
  if (!embeddingModel && !requireModel(res, record, body)) return;
  const size = embeddingModel ? EMBEDDING_MODELS[body.model] : CHAT_MODEL_EMBEDDING_SIZE;
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  if (body.input === undefined || inputs.length === 0)
    return sendError(res, record, 400, "'input' is required", "missing_required_parameter", "input");
  const texts = inputs.map((input) => (typeof input === "string" ? input : JSON.stringify(input)));
  // The openai SDK asks for base64 by default: little-endian float32s.
  const encode = (vector) => (body.encoding_format === "base64" ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector);
  const data = texts.map((text, index) => ({ object: "embedding", index, embedding: encode(embeddingOf(text, size)) }));
  const promptTokens = texts.reduce((sum, text) => sum + Math.max(1, estimateTokens(text)), 0);
  record.usage = { prompt_tokens: promptTokens, total_tokens: promptTokens };
  return sendJson(res, record, 200, { object: "list", data, model: body.model, usage: record.usage });
}

const ALL_MODELS = [...MODELS, ...Object.keys(EMBEDDING_MODELS)];
const modelObject = (id) => ({ id, object: "model", created: MODEL_CREATED, owned_by: "tensoras" });

// ---------------------------------------------------------------- control endpoints

function publicRecord(record) {
  const { rawResponse, ...rest } = record;
  return rest;
}

function findRecord(requests, id) {
  return [...requests].reverse().find((r) => r.mockId === id || r.id === id);
}

function serveControl(req, res, requests, path) {
  if (req.method === "DELETE" && path === "/__mock/requests") {
    requests.length = 0;
    return res.writeHead(204).end();
  }
  if (req.method === "GET" && path === "/__mock/requests") {
    return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(requests.map(publicRecord)));
  }
  const raw = /^\/__mock\/requests\/([^/]+)\/raw$/.exec(path);
  const record = raw && req.method === "GET" ? findRecord(requests, decodeURIComponent(raw[1])) : undefined;
  if (!record?.rawResponse)
    return res
      .writeHead(404, { "content-type": "application/json" })
      .end(JSON.stringify(errorBody("no raw response kept for that id", "invalid_request_error", "not_found")));
  return res.writeHead(200, { "content-type": "application/octet-stream" }).end(record.rawResponse);
}

// ---------------------------------------------------------------- server

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) return { tooLarge: true, text: "" };
    chunks.push(chunk);
  }
  return { tooLarge: false, text: Buffer.concat(chunks).toString("utf8") };
}

async function route(req, res, record, apiKey) {
  const { knobs, method, path } = record;
  if (apiKey !== undefined && req.headers.authorization !== `Bearer ${apiKey}`) {
    return sendError(res, record, 401, "Incorrect API key provided.", "invalid_api_key");
  }
  if (knobs.status !== undefined && knobs.status >= 400) {
    const headers = knobs.retryAfter ? { "retry-after": String(knobs.retryAfter) } : {};
    const [type, code] = STATUS_ERRORS[knobs.status] ?? ["server_error", "error"];
    return sendJson(res, record, knobs.status, errorBody(`Mock failure with status ${knobs.status}.`, type, code), headers);
  }
  if (method === "POST" && record.body === null && path.startsWith("/v1/")) {
    return sendError(res, record, 400, "We could not parse the JSON body of your request.", "invalid_json");
  }
  const modelMatch = /^\/v1\/models\/(.+)$/.exec(path);
  if (method === "POST" && path === "/v1/chat/completions") return chatCompletions(res, record);
  if (method === "POST" && path === "/v1/completions") return textCompletions(res, record);
  if (method === "POST" && path === "/v1/embeddings") return embeddings(res, record);
  if (method === "GET" && path === "/v1/models") return sendJson(res, record, 200, { object: "list", data: ALL_MODELS.map(modelObject) });
  if (method === "GET" && modelMatch) {
    const id = decodeURIComponent(modelMatch[1]);
    if (ALL_MODELS.includes(id)) return sendJson(res, record, 200, modelObject(id));
    return sendError(res, record, 404, `The model \`${id}\` does not exist or you do not have access to it.`, "model_not_found", "model");
  }
  return sendError(res, record, 404, `Invalid URL (${method} ${path})`, null);
}

async function handle(req, res, state) {
  const path = new URL(req.url ?? "/", "http://mock").pathname;
  if (path.startsWith("/__mock/")) return serveControl(req, res, state.requests, path);
  const mockId = `mock-${++state.counter}`;
  const incomingId = req.headers["x-request-id"];
  /** @type {MockRequest} */
  const record = {
    mockId,
    id: typeof incomingId === "string" ? incomingId : null,
    method: req.method ?? "GET",
    path,
    headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v)])),
    body: null,
    status: 0,
    bytesSent: 0,
    events: 0,
    aborted: false,
    outcome: "pending",
    usage: null,
    rawResponse: null,
  };
  // Working state, hidden from JSON and deep-equal comparisons of the record.
  Object.defineProperty(record, "knobs", { value: readKnobs(req.headers) });
  Object.defineProperty(record, "rawChunks", { value: state.keepRaw ? [] : null, writable: true });
  state.requests.push(record);
  if (state.requests.length > MAX_RECORDS) state.requests.splice(0, state.requests.length - MAX_RECORDS);
  res.setHeader("x-request-id", mockId);
  res.on("close", () => {
    if (!res.writableFinished && record.outcome === "pending") record.aborted = true;
    finishRecord(record, record.aborted ? "client-closed" : "complete");
    state.log?.(record);
  });
  const { tooLarge, text } = await readBody(req);
  if (tooLarge) return sendError(res, record, 413, "Request body too large.", "request_too_large");
  try {
    record.body = text ? JSON.parse(text) : null;
  } catch {
    record.body = null;
  }
  await pause(res, record.knobs.delayHeadersMs);
  if (res.closed) return;
  await route(req, res, record, state.apiKey);
}

function logLine(record) {
  const detail = record.events > 0 ? ` ${record.events} events` : "";
  console.log(`mock tensoras: ${record.method} ${record.path} ${record.status} ${record.outcome}${detail} ${record.bytesSent}B`);
}

/**
 * Starts the mock on `host:port` (port 0 = a free port).
 * @param {{ port?: number, host?: string, apiKey?: string, keepRaw?: boolean, log?: boolean | ((r: MockRequest) => void) }} [options]
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void>, requests: MockRequest[] }>}
 */
export async function startMockTensoras({ port = 0, host = "127.0.0.1", apiKey, keepRaw = true, log = false } = {}) {
  const state = { requests: /** @type {any[]} */ ([]), counter: 0, apiKey, keepRaw, log: log === true ? logLine : log || undefined };
  const server = createServer((req, res) => {
    handle(req, res, state).catch((error) => {
      console.error("mock tensoras: handler failed", error);
      res.destroy();
    });
  });
  await new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => done(undefined));
  });
  const address = /** @type {import("node:net").AddressInfo} */ (server.address());
  const close = () =>
    new Promise((done) => {
      server.close(() => done(undefined));
      server.closeAllConnections();
    });
  return { url: `http://${host}:${address.port}`, port: address.port, close, requests: state.requests };
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8788" },
      host: { type: "string", default: "127.0.0.1" },
      "api-key": { type: "string" },
      quiet: { type: "boolean", default: false },
      "no-raw": { type: "boolean", default: false },
    },
  });
  const mock = await startMockTensoras({
    port: Number(values.port),
    host: values.host,
    apiKey: values["api-key"],
    keepRaw: !values["no-raw"],
    log: !values.quiet,
  });
  console.log(`mock tensoras listening on ${mock.url}`);
  const stop = () => mock.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
