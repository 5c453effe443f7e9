/**
 * Which headers cross the gateway. The caller's credentials never reach
 * Tensoras and Tensoras's cookies never reach the caller.
 */

// RFC 9110 §7.6.1: hop-by-hop fields describe one connection and must not be forwarded,
// nor must any field the Connection header names.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

const NEVER_FORWARDED_UPSTREAM = new Set([
  "authorization", // replaced with the gateway's own Tensoras key
  "cookie",
  "host",
  "content-length", // recomputed: the gateway may add stream_options
  "x-request-id", // replaced with the gateway's id
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  "x-real-ip",
  "true-client-ip",
  "cdn-loop",
]);

const NEVER_RETURNED = new Set(["set-cookie", "content-length", "x-request-id"]);

function connectionListed(headers: Headers): Set<string> {
  const listed = headers.get("connection");
  return new Set(listed ? listed.split(",").map((token) => token.trim().toLowerCase()) : []);
}

function copyHeaders(from: Headers, drop: (name: string) => boolean): Headers {
  const listed = connectionListed(from);
  const out = new Headers();
  for (const [name, value] of from) {
    if (HOP_BY_HOP.has(name) || listed.has(name) || drop(name)) continue;
    out.append(name, value);
  }
  return out;
}

/** Headers for the request to Tensoras. `cf-*` are Cloudflare's own, about the caller's connection. */
export function upstreamRequestHeaders(incoming: Headers, options: { apiKey: string; requestId: string }): Headers {
  const headers = copyHeaders(incoming, (name) => NEVER_FORWARDED_UPSTREAM.has(name) || name.startsWith("cf-"));
  headers.set("authorization", `Bearer ${options.apiKey}`);
  headers.set("x-request-id", options.requestId);
  return headers;
}

/**
 * What the gateway forwards of a request's headers, at most. Node's default
 * (`--max-http-header-size`, 16 KiB for the request line and every field) is the
 * smallest limit common servers keep, and a server over it answers 431 and closes
 * the connection, often before the client's answer can be read. 15 KiB leaves room
 * for the request line and the fields the runtime adds (host, content-length).
 * Counted as sent upstream (`name: value` CRLF, the gateway's own key included);
 * headers the gateway drops (cookies, hop-by-hop) do not count.
 */
export const MAX_FORWARDED_HEADER_BYTES = 15 * 1024;

/** Bytes of the header section as written on the wire (RFC 9112 §5: field-name ":" OWS field-value CRLF). */
export function headerBytes(headers: Headers): number {
  let bytes = 0;
  for (const [name, value] of headers) bytes += name.length + value.length + 4;
  return bytes;
}

/**
 * Headers for the response to the caller: Tensoras's own (Retry-After, rate-limit
 * headers, content-type…) minus connection-level and cookie fields. Tensoras's request
 * id stays visible as `x-tensoras-request-id`; `x-request-id` is the gateway's.
 */
export function clientResponseHeaders(upstream: Headers, requestId: string): Headers {
  const headers = copyHeaders(upstream, (name) => NEVER_RETURNED.has(name));
  const upstreamId = upstream.get("x-request-id");
  if (upstreamId) headers.set("x-tensoras-request-id", upstreamId);
  headers.set("x-request-id", requestId);
  return headers;
}
