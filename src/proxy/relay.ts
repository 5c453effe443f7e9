import { GatewayError } from "../errors";
import { estimatedUsage } from "../metering/estimate";
import { type JsonBodyReport, jsonBodyReport, readJsonBodyReport } from "../metering/json-usage";
import type { RequestMeter } from "../metering/meter";
import { estimateTokensFromChars, NO_TOKENS, normalizeUsage } from "../metering/usage";
import { type StreamReport, usageTap } from "../sse/usage-tap";
import { clientResponseHeaders } from "./headers";
import type { UpstreamResponse } from "./upstream";

const MAX_REDACTED_ERROR_BYTES = 64 * 1024;
/** Non-streamed answers up to this size (by Content-Length) are read whole; larger ones are teed. */
const MAX_BUFFERED_JSON_BYTES = 1024 * 1024;

export interface RelayOptions {
  requestId: string;
  /** The gateway's Tensoras key: redacted should an upstream error ever echo it. */
  upstreamKey: string;
  meter: RequestMeter;
  waitUntil: (work: Promise<unknown>) => void;
  /** The gateway added stream_options.include_usage: withhold a usage-only event. */
  injectedIncludeUsage: boolean;
  /** Chat, completions and embeddings cost tokens; listing models does not. */
  costsTokens: boolean;
  estimatePromptTokens: () => number;
}

/**
 * Returns Tensoras's answer to the caller as received and settles the meter
 * from it: errors pass through as they are, JSON is read on a tee branch,
 * SSE through the usage tap.
 */
export async function relayResponse(upstream: UpstreamResponse, options: RelayOptions): Promise<Response> {
  const { response } = upstream;
  const headers = clientResponseHeaders(response.headers, options.requestId);
  const init = { status: response.status, statusText: response.statusText, headers };

  if (!response.ok || response.body === null) {
    // Upstream's own error (429 with Retry-After, 400, 5xx…) goes back untouched.
    options.meter.settle({
      status: response.status,
      outcome: response.ok ? "completed" : "upstream_error",
      usage: NO_TOKENS,
      usageSource: "none",
      firstByteAt: upstream.headersAt,
    });
    return new Response(await redactedErrorBody(response, options.upstreamKey), init);
  }

  options.meter.deferred = true;
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
    const tap = usageTap(response.body, { withholdUsageOnly: options.injectedIncludeUsage, onClientGone: upstream.abort });
    options.waitUntil(tap.done.then((report) => settleStream(report, response.status, options)));
    return new Response(tap.body, init);
  }

  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared <= MAX_BUFFERED_JSON_BYTES) {
    // A small answer (a chat completion) is cheaper read whole than teed; the client
    // gets the same bytes, in one piece, as soon as the last one arrived.
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch {
      // The client gets a 502, and the ledger records the status the client got.
      settleBroken(upstream.headersAt, 502, options);
      throw new GatewayError(502, "upstream_broken", "Tensoras's answer broke off before it was complete.");
    }
    options.waitUntil(Promise.resolve().then(() => settleReport(jsonBodyReport(bytes), upstream.headersAt, response.status, options)));
    return new Response(bytes, init);
  }

  const [toClient, toMeter] = response.body.tee();
  options.waitUntil(settleJson(toMeter, upstream.headersAt, response.status, options));
  return new Response(toClient, init);
}

/** Error bodies are small; one that quotes the gateway's own Tensoras key must not reach the caller. */
async function redactedErrorBody(response: Response, upstreamKey: string): Promise<ReadableStream<Uint8Array> | string | null> {
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (response.body === null || upstreamKey === "" || declared > MAX_REDACTED_ERROR_BYTES) return response.body;
  const text = await response.text();
  return text.includes(upstreamKey) ? text.replaceAll(upstreamKey, "[redacted]") : text;
}

function settleStream(report: StreamReport, status: number, options: RelayOptions): void {
  const { scanner } = report;
  const upstreamUsage = normalizeUsage(scanner.usage);
  options.meter.settle({
    status,
    outcome: report.end,
    // Real usage when Tensoras sent it; otherwise one token per streamed event, and the prompt from the request.
    usage: upstreamUsage ?? estimatedUsage(options.estimatePromptTokens(), scanner.dataEvents),
    usageSource: upstreamUsage ? "upstream" : "estimated",
    finishReason: scanner.finishReason(),
    firstByteAt: report.firstChunkAt,
  });
}

function settleReport(report: JsonBodyReport, headersAt: number, status: number, options: RelayOptions): void {
  const usage = normalizeUsage(report.usage);
  const estimate = options.costsTokens && usage === null;
  options.meter.settle({
    status,
    outcome: "completed",
    usage:
      usage ?? (estimate ? estimatedUsage(options.estimatePromptTokens(), estimateTokensFromChars(report.completionChars)) : NO_TOKENS),
    usageSource: usage ? "upstream" : estimate ? "estimated" : "none",
    finishReason: report.finishReason,
    firstByteAt: headersAt,
  });
}

/** The body broke off: Tensoras did the work, so the prompt at least is billed. */
function settleBroken(headersAt: number, status: number, options: RelayOptions): void {
  options.meter.settle({
    status,
    outcome: "upstream_error",
    usage: options.costsTokens ? estimatedUsage(options.estimatePromptTokens(), 0) : NO_TOKENS,
    usageSource: options.costsTokens ? "estimated" : "none",
    firstByteAt: headersAt,
  });
}

async function settleJson(body: ReadableStream<Uint8Array>, headersAt: number, status: number, options: RelayOptions): Promise<void> {
  let report: JsonBodyReport;
  try {
    report = await readJsonBodyReport(body);
  } catch {
    settleBroken(headersAt, status, options);
    return;
  }
  settleReport(report, headersAt, status, options);
}
