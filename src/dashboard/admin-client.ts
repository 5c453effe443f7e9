import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { adminAuth } from "../admin/auth";
import { authorize } from "../admin/authorize";
import { ledgerExports } from "../admin/exports";
import { jsonContentType } from "../admin/json-content-type";
import { keyLifecycle } from "../admin/key-lifecycle";
import { keyList } from "../admin/key-list";
import { keys } from "../admin/keys";
import { ledger } from "../admin/ledger";
import type { Operator } from "../admin/operator";
import { operatorOf } from "../admin/operator-store";
import { teams } from "../admin/teams";
import { usage } from "../admin/usage";
import { getOperatorRow } from "../db/operators";
import type { AppEnv, Env } from "../env";
import { errorResponse, GatewayError } from "../errors";

/**
 * The dashboard reads and acts through the admin API's own routes, called in-process: every
 * number on a page is what GET /admin/usage answers, every check is authorize()'s, every
 * revoke and rotate writes the same audit entry. The operator rides on the Request object
 * (a WeakMap, not a header), so nothing from outside can set it; this app is never routed.
 */
const callers = new WeakMap<Request, Operator>();

const internal = new Hono<AppEnv>();

// Sign-in: the admin API's own token check (ADMIN_TOKEN or an operator token), nothing else.
internal.get("/whoami", adminAuth(), (c) => c.json(c.get("operator")));

const api = new Hono<AppEnv>();
api.use(async function asOperator(c, next) {
  const operator = callers.get(c.req.raw);
  if (operator === undefined) throw new GatewayError(401, "missing_admin_token", "No dashboard session.");
  c.set("operator", operator);
  await next();
});
api.use(authorize(), jsonContentType());
for (const routes of [teams, keys, keyLifecycle, keyList, usage, ledger, ledgerExports]) api.route("/", routes);
internal.route("/admin", api);

internal.onError((err, c) => {
  if (err instanceof GatewayError) return errorResponse(err, c.get("requestId"));
  if (err instanceof HTTPException) return errorResponse(new GatewayError(err.status, "http_error", err.message), c.get("requestId"));
  throw err;
});

const ORIGIN = "https://dashboard.internal";

/** The operator a token signs in as, or the admin API's error (401) for a wrong one. */
export async function operatorForToken(env: Env, token: string): Promise<Operator | GatewayError> {
  const res = await internal.request(`${ORIGIN}/whoami`, { headers: { authorization: `Bearer ${token}` } }, env);
  if (res.ok) return (await res.json()) as Operator;
  const body = (await res.json()) as { error: { message: string; code: string } };
  return new GatewayError(res.status as ContentfulStatusCode, body.error.code, body.error.message);
}

/**
 * The session's operator as it stands now: a revoked operator, or one whose role or teams
 * changed, is not served from an 8-hour-old cookie. The bootstrap owner needs ADMIN_TOKEN still set.
 */
export async function currentOperator(env: Env, operator: Operator): Promise<Operator | null> {
  if (operator.id === "admin" && operator.role === "owner") return env.ADMIN_TOKEN ? operator : null;
  const row = await getOperatorRow(env.DB, operator.id);
  if (row === null || row.revoked_at !== null) return null;
  return operatorOf(row);
}

export interface ApiResult<T> {
  status: number;
  body: T;
}

/** One admin API call as `operator`: path below /admin with its query. */
export async function adminApi(env: Env, operator: Operator, method: string, path: string, body?: unknown): Promise<Response> {
  const request = new Request(`${ORIGIN}/admin${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  callers.set(request, operator);
  return internal.fetch(request, env);
}

export async function adminJson<T>(env: Env, operator: Operator, method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  const res = await adminApi(env, operator, method, path, body);
  return { status: res.status, body: (await res.json()) as T };
}
