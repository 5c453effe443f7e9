import { concatBytes } from "../bytes";
import { GatewayError } from "../errors";
import { fallbackUsage } from "../metering/estimate";
import { JsonBodyCollector, type JsonBodyReport, jsonBodyReport } from "../metering/json-usage";
import type { RequestMeter } from "../metering/meter";
import { estimateTokensFromChars, NO_TOKENS, normalizeUsage } from "../metering/usage";
import { type StreamReport, usageTap } from "../sse/usage-tap";
import { clientResponseHeaders } from "./headers";
import { redactedErrorBody, redactHeaders } from "./redact";
import type { UpstreamResponse } from "./upstream";

/** Non-streamed answers up to this size are read whole; larger ones are streamed through. */
const MAX_BUFFERED_JSON_BYTES = 1024 * 1024;

export interface RelayOptions {
  requestId: string;
  /** The gateway's Tensoras key: redacted should an upstream error ever echo it. */
  upstreamKey: string;
  meter: RequestMeter;
  waitUntil: (work: Promise<unknown>) => void;
  /** The gateway added stream_options.include_usage: withhold a usage-only event. */
  injectedIncludeUsage: boolean;
  /** The prompt's tokens, estimated: given for chat, completions and embeddings, which cost tokens; not for listing models. */
  estimatePromptTokens?: () => number;
}

/**
 * Returns Tensoras's answer to the caller as received and settles the meter
 * from it: errors pass through as they are, JSON is read whole or streamed
 * through with a bounded copy, SSE goes through the usage tap.
 */
export async function relayResponse(upstream: UpstreamResponse, options: RelayOptions): Promise<Response> {
  const { response } = upstream;
  const headers = redactHeaders(clientResponseHeaders(response.headers, options.requestId), options.upstreamKey);
  const init = { status: response.status, statusText: response.statusText, headers };

  if (!response.ok || response.body === null) {
    // Upstream's own error (429 with Retry-After, 400, 5xx…) goes back untouched. Read before settling: an
    // error body that breaks off (a server refusing huge headers with 431, then closing) is a 502 to the
    // client, and the record says what the client got.
    let errorBody: Awaited<ReturnType<typeof redactedErrorBody>>;
    try {
      errorBody = await redactedErrorBody(response, options.upstreamKey);
    } catch (err) {
      options.meter.settle({
        status: 502,
        outcome: "upstream_error",
        usage: NO_TOKENS,
        usageSource: "none",
        firstByteAt: upstream.headersAt,
      });
      // A body too large to check for the key is the gateway's own 502 (upstream_error_unreadable).
      if (err instanceof GatewayError) throw err;
      throw new GatewayError(502, "upstream_broken", "Tensoras's answer broke off before it was complete.");
    }
    options.meter.settle({
      status: response.status,
      outcome: response.ok ? "completed" : "upstream_error",
      usage: NO_TOKENS,
      usageSource: "none",
      firstByteAt: upstream.headersAt,
    });
    return new Response(errorBody, init);
  }

  options.meter.deferred = true;
  if (response.headers.get("content-type")?.startsWith("text/event-stream")) {
    const tap = usageTap(response.body, { withholdUsageOnly: options.injectedIncludeUsage, onClientGone: upstream.abort });
    options.waitUntil(tap.done.then((report) => settleStream(report, response.status, options)));
    return new Response(tap.body, init);
  }

  return relayJson(response.body, upstream, init, options);
}

/**
 * A non-streamed answer. Up to MAX_BUFFERED_JSON_BYTES (a chat completion, whether it
 * declares its length or comes chunked) is read whole and returned in one piece: one
 * pass of JavaScript, cheaper than any stream, and a JSON client cannot use half an
 * answer anyway. A larger one (a big embedding batch) goes through a pull-based stream
 * that keeps a bounded copy for the meter: the client's pace is upstream's pace, and
 * the client leaving stops upstream.
 */
async function relayJson(
  body: ReadableStream<Uint8Array>,
  upstream: UpstreamResponse,
  init: ResponseInit & { status: number },
  options: RelayOptions,
): Promise<Response> {
  const reader = body.getReader();
  const head: Uint8Array[] = [];
  const declared = Number(upstream.response.headers.get("content-length") ?? Number.NaN);
  if (!(declared > MAX_BUFFERED_JSON_BYTES)) {
    let headBytes = 0;
    while (headBytes <= MAX_BUFFERED_JSON_BYTES) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch {
        // The client gets a 502, and the ledger records the status the client got.
        settleCut(upstream.headersAt, 502, "upstream_error", options);
        throw new GatewayError(502, "upstream_broken", "Tensoras's answer broke off before it was complete.");
      }
      if (result.done) {
        const bytes = head.length === 1 ? (head[0] as Uint8Array) : concatBytes(head);
        // Parsed once the response is on its way.
        options.waitUntil(Promise.resolve().then(() => settleReport(jsonBodyReport(bytes), upstream.headersAt, init.status, options)));
        return new Response(bytes, init);
      }
      head.push(result.value);
      headBytes += result.value.byteLength;
    }
  }

  const collector = new JsonBodyCollector();
  for (const chunk of head) collector.push(chunk);
  let settled = false;
  const settleOnce = (settle: () => void): void => {
    if (settled) return;
    settled = true;
    settle();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const buffered = head.shift();
        if (buffered !== undefined) return controller.enqueue(buffered);
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (err) {
          settleOnce(() => settleCut(upstream.headersAt, init.status, "upstream_error", options));
          return controller.error(err);
        }
        if (result.done) {
          controller.close();
          return settleOnce(() => settleReport(collector.report(), upstream.headersAt, init.status, options));
        }
        collector.push(result.value);
        controller.enqueue(result.value);
      },
      cancel(reason) {
        settleOnce(() => settleCut(upstream.headersAt, init.status, "client_aborted", options));
        reader.cancel(reason).catch(() => {});
        upstream.abort();
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(stream, init);
}

function settleStream(report: StreamReport, status: number, options: RelayOptions): void {
  const { scanner } = report;
  const upstreamUsage = normalizeUsage(scanner.usage);
  options.meter.settle({
    status,
    outcome: report.end,
    // Real usage when Tensoras sent it; otherwise one token per streamed event, and the prompt from the request.
    ...(upstreamUsage
      ? { usage: upstreamUsage, usageSource: "upstream" }
      : fallbackUsage(options.estimatePromptTokens, scanner.dataEvents)),
    finishReason: scanner.finishReason(),
    firstByteAt: report.firstChunkAt,
  });
}

function settleReport(report: JsonBodyReport, headersAt: number, status: number, options: RelayOptions): void {
  const usage = normalizeUsage(report.usage);
  options.meter.settle({
    status,
    outcome: "completed",
    ...(usage
      ? { usage, usageSource: "upstream" }
      : fallbackUsage(options.estimatePromptTokens, estimateTokensFromChars(report.completionChars))),
    finishReason: report.finishReason,
    firstByteAt: headersAt,
  });
}

/** The body broke off, or the client left before its end: Tensoras did the work, so the prompt at least is billed. */
function settleCut(headersAt: number, status: number, outcome: "upstream_error" | "client_aborted", options: RelayOptions): void {
  options.meter.settle({ status, outcome, ...fallbackUsage(options.estimatePromptTokens), firstByteAt: headersAt });
}
