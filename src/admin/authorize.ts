import type { Context, MiddlewareHandler } from "hono";
import { keyTeam } from "../db/operators";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import type { Operator, OperatorRole } from "./operator";
import { notFound } from "./views";

/**
 * What each role may do, in one table, so that route files carry no checks of their own.
 * An owner may do everything (routes not listed included: a new route is owner-only until
 * it is listed). A team_admin's rules say where the team comes from: the path's team id,
 * the path's key id (its team read from D1), or the query's team_id/key_id filters. A team
 * the caller does not manage answers 404, as a missing one would, so ids do not leak.
 */
type TeamScope = "team_param" | "key_param" | "query_filters";

interface Rule {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  /** `:name` matches one path segment. */
  path: string;
  /** Every role (the API's own description). */
  anyRole?: true;
  viewer?: true;
  teamAdmin?: TeamScope;
}

export const AUTHORIZATION_RULES: readonly Rule[] = [
  { method: "GET", path: "/openapi.json", anyRole: true },
  { method: "GET", path: "/teams/:team_id", teamAdmin: "team_param" },
  { method: "POST", path: "/teams/:team_id/keys", teamAdmin: "team_param" },
  { method: "GET", path: "/teams/:team_id/keys", teamAdmin: "team_param" },
  { method: "GET", path: "/keys", teamAdmin: "query_filters" },
  { method: "GET", path: "/keys/:key_id", teamAdmin: "key_param" },
  { method: "PATCH", path: "/keys/:key_id", teamAdmin: "key_param" },
  { method: "POST", path: "/keys/:key_id/rotate", teamAdmin: "key_param" },
  { method: "DELETE", path: "/keys/:key_id", teamAdmin: "key_param" },
  { method: "GET", path: "/usage", viewer: true, teamAdmin: "query_filters" },
  { method: "GET", path: "/usage/events", viewer: true, teamAdmin: "query_filters" },
  { method: "GET", path: "/prices", viewer: true },
  { method: "GET", path: "/prices/:model", viewer: true },
  { method: "GET", path: "/exports", viewer: true },
  { method: "GET", path: "/audit", viewer: true },
];

interface CompiledRule extends Rule {
  pattern: RegExp;
}

const COMPILED: CompiledRule[] = AUTHORIZATION_RULES.map((rule) => ({
  ...rule,
  pattern: new RegExp(`^${rule.path.replace(/:[a-z_]+/g, "([^/]+)")}$`),
}));

function forbidden(role: OperatorRole): GatewayError {
  return new GatewayError(403, "forbidden", `An operator with the ${role} role may not do this.`);
}

/** A path segment as the router hands it to the route (percent-decoded); undefined if it cannot be decoded. */
function segment(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function matchRule(method: string, path: string): { rule: CompiledRule; param: string | undefined } | null {
  // HEAD runs the GET route (Hono), so it is allowed exactly where GET is.
  const asked = method === "HEAD" ? "GET" : method;
  for (const rule of COMPILED) {
    if (rule.method !== asked) continue;
    const match = rule.pattern.exec(path);
    if (match) return { rule, param: match[1] };
  }
  return null;
}

async function requireOwnKey(db: D1Database, operator: Operator, keyId: string | undefined): Promise<void> {
  const team = keyId === undefined ? null : await keyTeam(db, keyId);
  if (team === null || !operator.teamIds.includes(team)) throw notFound("key", keyId ?? "");
}

function requireOwnTeam(operator: Operator, teamId: string | undefined): void {
  if (teamId === undefined || !operator.teamIds.includes(teamId)) throw notFound("team", teamId ?? "");
}

/** Every team_id and key_id filter must be the operator's, and a listing must have one (or it would span teams). */
async function requireOwnFilters(c: Context<AppEnv>, operator: Operator, path: string): Promise<void> {
  const teamIds = c.req.queries("team_id") ?? [];
  const keyIds = path === "/keys" ? [] : (c.req.queries("key_id") ?? []);
  if (teamIds.length === 0 && keyIds.length === 0) {
    const filters = path === "/keys" ? "team_id" : "team_id or key_id";
    throw new GatewayError(403, "forbidden", `A team_admin must filter this listing by ${filters} of a team it manages.`, {
      param: "team_id",
    });
  }
  for (const teamId of teamIds) requireOwnTeam(operator, teamId);
  for (const keyId of keyIds) await requireOwnKey(c.env.DB, operator, keyId);
}

async function authorizeTeamAdmin(c: Context<AppEnv>, operator: Operator, scope: TeamScope, param: string | undefined, path: string) {
  if (scope === "team_param") return requireOwnTeam(operator, segment(param));
  if (scope === "key_param") return requireOwnKey(c.env.DB, operator, segment(param));
  return requireOwnFilters(c, operator, path);
}

/** The path below /admin, as the rules are written. */
function adminPath(path: string): string {
  return path.startsWith("/admin") ? path.slice("/admin".length) || "/" : path;
}

/** Runs after adminAuth: 403 `forbidden` for a route the role may not use, 404 for another team's team or key. */
export function authorize(): MiddlewareHandler<AppEnv> {
  return async function authorize(c, next) {
    const operator = c.get("operator");
    const path = adminPath(c.req.path);
    const matched = operator.role === "owner" ? null : matchRule(c.req.method, path);
    if (operator.role !== "owner" && !matched?.rule.anyRole) {
      if (operator.role === "viewer" && !matched?.rule.viewer) throw forbidden(operator.role);
      if (operator.role === "team_admin") {
        const scope = matched?.rule.teamAdmin;
        if (scope === undefined || matched === null) throw forbidden(operator.role);
        await authorizeTeamAdmin(c, operator, scope, matched.param, path);
      }
    }
    await next();
  };
}
