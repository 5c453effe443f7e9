import type { Operator } from "./admin/operator";
import type { KeyRecord } from "./auth/key-store";
import type { RateLimitState } from "./limits/rate-state";
import type { TeamLimits } from "./limits/team-limits";
import type { RequestMeter } from "./metering/meter";
import type { UsageMessage } from "./metering/usage-record";

/** Bindings, vars and secrets, typed once (see wrangler.toml and .dev.vars.example). */
export interface Env {
  DB: D1Database;
  USAGE_QUEUE: Queue<UsageMessage>;
  /** One budget-and-rate-limit object per team (src/limits/team-limits.ts). */
  TEAM_LIMITS: DurableObjectNamespace<TeamLimits>;
  TENSORAS_BASE_URL: string;
  /** Secret. The gateway's own Tensoras key; never logged, never echoed. */
  TENSORAS_API_KEY?: string;
  /** Secret. Bearer token for /admin: the bootstrap owner (named operators have their own tokens). */
  ADMIN_TOKEN?: string;
  /** Cloudflare Access sign-in to /admin (both needed): the team domain (`team.cloudflareaccess.com`) and the application's AUD tag. */
  ACCESS_TEAM_DOMAIN?: string;
  /** Secret. Signs /dashboard session cookies; unset, a key is derived from ADMIN_TOKEN (HKDF). */
  DASHBOARD_SESSION_SECRET?: string;
  ACCESS_AUD?: string;
  MAX_REQUEST_BYTES?: string;
  UPSTREAM_TIMEOUT_MS?: string;
  /** A started request with no final record after this long is closed as `interrupted` by the sweep. */
  INTERRUPTED_AFTER_SECONDS?: string;
  /** Hourly exports of the raw ledger (gzip NDJSON + manifests), src/ledger/export.ts. */
  LEDGER_BUCKET: R2Bucket;
  /** Days of raw rows D1 keeps with LEDGER_RAW_SINK=d1 (verified exports only are pruned). */
  RAW_RETENTION_DAYS?: string;
  /** "d1" or "r2": with r2, D1 keeps only RAW_WINDOW_HOURS of raw rows; the raw records live in R2. */
  LEDGER_RAW_SINK?: string;
  RAW_WINDOW_HOURS?: string;
}

/** Request-scoped variables set by middleware, typed once. */
export interface AppVariables {
  requestId: string;
  /** Date.now() when the request reached the gateway. */
  startedAt: number;
  apiKey: KeyRecord;
  /** On /admin: who is calling (set by adminAuth, checked by authorize, named in every audit entry). */
  operator: Operator;
  meter: RequestMeter;
  /** Set when the key or its team has rate limits: the figures for the x-ratelimit-* headers. */
  rateLimit: RateLimitState | null;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}

type GatewayBindings = Env;

declare global {
  namespace Cloudflare {
    // `env` from cloudflare:workers and cloudflare:test is typed as the worker's own Env.
    interface Env extends GatewayBindings {}
    // Types `exports` from cloudflare:workers (the tests call the worker through it).
    interface GlobalProps {
      mainModule: typeof import("./index");
    }
  }
}
