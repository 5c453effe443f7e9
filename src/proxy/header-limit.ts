import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { headerBytes, MAX_FORWARDED_HEADER_BYTES, upstreamRequestHeaders } from "./headers";

/**
 * 431 for a request whose headers, as the gateway would forward them, pass
 * MAX_FORWARDED_HEADER_BYTES: refused here, with a clear answer and before
 * anything is forwarded, rather than sent to an upstream that closes the
 * connection on them (RFC 6585 §5).
 */
export function limitRequestHeaders(): MiddlewareHandler<AppEnv> {
  return async function limitRequestHeaders(c, next) {
    const forwarded = upstreamRequestHeaders(c.req.raw.headers, { apiKey: c.env.TENSORAS_API_KEY ?? "", requestId: c.get("requestId") });
    if (headerBytes(forwarded) > MAX_FORWARDED_HEADER_BYTES) {
      throw new GatewayError(
        431,
        "request_headers_too_large",
        `Request headers are larger than the gateway forwards (${MAX_FORWARDED_HEADER_BYTES} bytes, cookies and hop-by-hop headers not counted).`,
      );
    }
    await next();
  };
}
