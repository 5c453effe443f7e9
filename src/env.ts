import type { KeyRecord } from "./auth/key-store";
import type { RequestMeter } from "./metering/meter";
import type { UsageRecord } from "./metering/usage-record";

/** Bindings, vars and secrets, typed once (see wrangler.toml and .dev.vars.example). */
export interface Env {
  DB: D1Database;
  USAGE_QUEUE: Queue<UsageRecord>;
  TENSORAS_BASE_URL: string;
  /** Secret. The gateway's own Tensoras key; never logged, never echoed. */
  TENSORAS_API_KEY?: string;
  /** Secret. Bearer token for /admin. */
  ADMIN_TOKEN?: string;
  MAX_REQUEST_BYTES?: string;
  UPSTREAM_TIMEOUT_MS?: string;
}

/** Request-scoped variables set by middleware, typed once. */
export interface AppVariables {
  requestId: string;
  /** Date.now() when the request reached the gateway. */
  startedAt: number;
  apiKey: KeyRecord;
  meter: RequestMeter;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

declare global {
  namespace Cloudflare {
    interface Env {
      DB: D1Database;
      USAGE_QUEUE: Queue<UsageRecord>;
      TENSORAS_BASE_URL: string;
      TENSORAS_API_KEY?: string;
      ADMIN_TOKEN?: string;
      MAX_REQUEST_BYTES?: string;
      UPSTREAM_TIMEOUT_MS?: string;
    }
  }
}

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import("./index");
    }
  }
}
