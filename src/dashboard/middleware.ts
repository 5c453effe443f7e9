import type { MiddlewareHandler } from "hono";
import type { Operator } from "../admin/operator";
import type { AppVariables, Env } from "../env";
import { currentOperator } from "./admin-client";
import { csrfToken, csrfValid, endSession, readSession, type Session } from "./session";

export interface DashEnv {
  Bindings: Env;
  Variables: AppVariables & { session: Session; csrf: string; dashOperator: Operator };
}

/** Pages anyone may load: the sign-in form and the static files. */
function isPublic(path: string): boolean {
  return path === "/dashboard/login" || path.startsWith("/dashboard/assets/");
}

/**
 * Every other page needs a valid session of an operator who still exists (revoked operators
 * are signed out at once); a GET without one is sent to the sign-in form, a POST refused.
 */
export function requireSession(): MiddlewareHandler<DashEnv> {
  return async function requireSession(c, next) {
    if (isPublic(c.req.path)) return next();
    const session = await readSession(c, c.env);
    const operator = session === null ? null : await currentOperator(c.env, session.operator);
    if (session === null || operator === null) {
      if (session !== null) endSession(c);
      if (c.req.method === "GET" || c.req.method === "HEAD") return c.redirect("/dashboard/login", 303);
      return c.text("Sign in first.", 401);
    }
    c.set("session", session);
    c.set("dashOperator", operator);
    c.set("csrf", await csrfToken(c.env, session));
    await next();
  };
}

/**
 * Every POST: from this origin (Sec-Fetch-Site, Origin) and, past sign-in,, the
 * session's CSRF token in the form's `csrf` field (compared in constant time).
 */
export function checkPosts(): MiddlewareHandler<DashEnv> {
  return async function checkPosts(c, next) {
    if (c.req.method !== "POST") return next();
    // Referrer-Policy: no-referrer makes browsers send `Origin: null` on our own forms, so
    // Sec-Fetch-Site is the browser's word on where a post comes from; Origin when it names one.
    const site = c.req.header("sec-fetch-site");
    const origin = c.req.header("origin");
    const foreignOrigin = origin !== undefined && origin !== "null" && origin !== new URL(c.req.url).origin;
    if (foreignOrigin || (site !== undefined && site !== "same-origin" && site !== "none")) {
      return c.text("Cross-origin form refused.", 403);
    }
    if (isPublic(c.req.path)) return next();
    const form = await c.req.parseBody();
    if (!(await csrfValid(c.env, c.get("session"), form.csrf))) return c.text("Missing or wrong CSRF token.", 403);
    await next();
  };
}
