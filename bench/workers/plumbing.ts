/**
 * The plumbing variants measured against each other, one Worker per variant
 * (the variant is fixed at bundle time by esbuild's `define`). Each forwards
 * the request to UPSTREAM_URL + same path and returns the response body:
 *
 *   bare      `return fetch(…)`: native pipe, no JavaScript per chunk
 *   tap       the gateway's usageTap (real SseScanner), withholdUsageOnly
 *   noop-tap  the same usageTap bundled with a do-nothing SseScanner
 *   tee       native tee(); the meter branch read in JS and discarded
 *   transform an empty JS TransformStream via pipeThrough
 *   tee-scan  native tee(); the meter branch fed to the real SseScanner (a tee-based tap)
 *   pump      a bare reader.read()/await writer.write() loop into an IdentityTransformStream
 *             (usageTap's plumbing without its filter and scanner)
 *   pull-scan a pull-based ReadableStream (highWaterMark 0) that reads upstream,
 *             feeds the real SseScanner and enqueues the chunk (a pull-based tap)
 */
import { SseScanner } from "../../src/sse/sse-scanner";
import { usageTap } from "../../src/sse/usage-tap";

declare const VARIANT: "bare" | "tap" | "noop-tap" | "tee" | "transform" | "tee-scan" | "pull-scan" | "pump";

interface PlumbingEnv {
  UPSTREAM_URL: string;
}

function upstreamRequest(request: Request, env: PlumbingEnv, signal?: AbortSignal): Request {
  const url = new URL(request.url);
  return new Request(env.UPSTREAM_URL + url.pathname + url.search, {
    method: request.method,
    headers: request.headers,
    body: request.body,
    signal,
  });
}

async function drain(stream: ReadableStream<Uint8Array>, scanner?: SseScanner): Promise<void> {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return scanner?.end();
    scanner?.push(value);
  }
}

async function pump(reader: ReadableStreamDefaultReader<Uint8Array>, writer: WritableStreamDefaultWriter<Uint8Array>): Promise<void> {
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return await writer.close();
      await writer.write(value);
    }
  } catch {
    await reader.cancel().catch(() => {});
  }
}

function pullThrough(upstream: ReadableStream<Uint8Array>, scanner: SseScanner, onClientGone: () => void): ReadableStream<Uint8Array> {
  const reader = upstream.getReader();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          scanner.end();
          controller.close();
          return;
        }
        scanner.push(value);
        controller.enqueue(value);
      },
      cancel() {
        onClientGone();
        return reader.cancel();
      },
    },
    { highWaterMark: 0 },
  );
}

export default {
  async fetch(request: Request, env: PlumbingEnv, ctx: ExecutionContext): Promise<Response> {
    if (VARIANT === "bare") return fetch(upstreamRequest(request, env));

    const controller = new AbortController();
    const response = await fetch(upstreamRequest(request, env, controller.signal));
    const init = { status: response.status, statusText: response.statusText, headers: response.headers };
    if (response.body === null) return new Response(null, init);

    if (VARIANT === "tee") {
      const [toClient, toMeter] = response.body.tee();
      ctx.waitUntil(drain(toMeter));
      return new Response(toClient, init);
    }
    if (VARIANT === "tee-scan") {
      const [toClient, toMeter] = response.body.tee();
      ctx.waitUntil(drain(toMeter, new SseScanner()));
      return new Response(toClient, init);
    }
    if (VARIANT === "pump") {
      const { readable, writable } = new IdentityTransformStream();
      ctx.waitUntil(pump(response.body.getReader(), writable.getWriter()));
      return new Response(readable, init);
    }
    if (VARIANT === "pull-scan") {
      return new Response(
        pullThrough(response.body, new SseScanner(), () => controller.abort()),
        init,
      );
    }
    if (VARIANT === "transform") {
      return new Response(response.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>()), init);
    }
    const tap = usageTap(response.body, { withholdUsageOnly: true, onClientGone: () => controller.abort() });
    ctx.waitUntil(tap.done);
    return new Response(tap.body, init);
  },
} satisfies ExportedHandler<PlumbingEnv>;
