import type { ProxiedBody } from "./schemas";

const INCLUDE_USAGE_MEMBER = '"stream_options":{"include_usage":true},';

export interface ForwardedBody {
  body: BodyInit;
  /** True when the gateway, not the client, asked for usage. */
  injected: boolean;
}

/**
 * A streamed chat or completions request gets `stream_options.include_usage:
 * true` so that usage is certain. Everything else goes upstream byte for byte.
 *
 * When the client sent no `stream_options`, the member is spliced in textually
 * after the opening brace, so the rest of the body keeps its exact bytes (number
 * formatting, key order, whitespace). When it sent one without include_usage,
 * the body is re-serialised: a duplicate key would be read differently by
 * different JSON parsers.
 */
export function withIncludeUsage(raw: ArrayBuffer, text: string, body: ProxiedBody): ForwardedBody {
  if (body.stream !== true || body.stream_options?.include_usage === true) return { body: raw, injected: false };
  if (!("stream_options" in body)) {
    const brace = text.indexOf("{");
    return { body: text.slice(0, brace + 1) + INCLUDE_USAGE_MEMBER + text.slice(brace + 1), injected: true };
  }
  const streamOptions = { ...(body.stream_options ?? {}), include_usage: true };
  return { body: JSON.stringify({ ...body, stream_options: streamOptions }), injected: true };
}
