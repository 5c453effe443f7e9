import { Hono } from "hono";
import { GatewayError } from "../errors";
import { operatorForToken } from "./admin-client";
import { assets } from "./assets";
import { securityHeaders } from "./headers";
import { checkPosts, type DashEnv, requireSession } from "./middleware";
import { SignInPage } from "./page-misc";
import { keyPages } from "./routes-keys";
import { usagePages } from "./routes-usage";
import { endSession, sessionsConfigured, startSession } from "./session";

/**
 * The usage dashboard under /dashboard: server-rendered pages over the admin API's own routes
 * (src/dashboard/admin-client.ts), a signed session cookie, CSRF tokens on every POST, and
 * security headers on every response.
 */
export const dashboard = new Hono<DashEnv>();

dashboard.use(securityHeaders(), requireSession(), checkPosts());
dashboard.route("/assets", assets);

dashboard.get("/login", (c) => c.html(<SignInPage />));

/** The token is checked exactly as /admin checks it, then dropped: the cookie names the operator, never the token. */
dashboard.post("/login", async function signIn(c) {
  const form = await c.req.parseBody();
  const token = typeof form.token === "string" ? form.token.trim() : "";
  if (token === "") return c.html(<SignInPage error="Enter a token." />, 400);
  if (!sessionsConfigured(c.env)) {
    return c.html(<SignInPage error="The dashboard is disabled: set DASHBOARD_SESSION_SECRET (or ADMIN_TOKEN) to sign sessions." />, 503);
  }
  const operator = await operatorForToken(c.env, token);
  if (operator instanceof GatewayError) return c.html(<SignInPage error={operator.message} />, 401);
  await startSession(c, c.env, operator);
  return c.redirect("/dashboard", 303);
});

dashboard.post("/logout", function signOut(c) {
  endSession(c);
  return c.redirect("/dashboard/login", 303);
});

dashboard.route("/", usagePages);
dashboard.route("/", keyPages);
