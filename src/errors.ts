import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The OpenAI error body: what every SDK already knows how to read. */
export interface OpenAIErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
  };
}

const TYPE_BY_STATUS: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  405: "invalid_request_error",
  413: "invalid_request_error",
  429: "rate_limit_error",
  431: "invalid_request_error",
  502: "api_error",
  503: "api_error",
  504: "api_error",
};

/**
 * An error the gateway itself answers (as opposed to one Tensoras sent, which
 * passes through untouched). Thrown anywhere; turned into a response in one place.
 * Messages must never contain a key: callers pass fixed text.
 */
export class GatewayError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly param: string | null;
  readonly headers: Record<string, string>;
  /** OpenAI's error type when the status alone does not say it (429: `requests`, `tokens`, `insufficient_quota`). */
  readonly type: string | null;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    options: { param?: string | null; headers?: Record<string, string>; type?: string } = {},
  ) {
    super(message);
    this.name = "GatewayError";
    this.status = status;
    this.code = code;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
    this.type = options.type ?? null;
  }

  toBody(): OpenAIErrorBody {
    return {
      error: {
        message: this.message,
        type: this.type ?? TYPE_BY_STATUS[this.status] ?? "api_error",
        param: this.param,
        code: this.code,
      },
    };
  }
}

export function errorResponse(err: GatewayError, requestId?: string): Response {
  const headers = new Headers(err.headers);
  headers.set("content-type", "application/json");
  if (requestId) headers.set("x-request-id", requestId);
  return new Response(JSON.stringify(err.toBody()), { status: err.status, headers });
}
