import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN_TOKEN, adminJson } from "../helpers/admin";
import { getPage, postForm, signIn } from "../helpers/dashboard";
import { callGateway } from "../helpers/gateway";

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

function expectSecurityHeaders(res: Response) {
  expect(res.headers.get("content-security-policy")).toBe(CSP);
  expect(res.headers.get("x-frame-options")).toBe("DENY");
  expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  expect(res.headers.get("cache-control")).toBe("no-store");
}

describe("dashboard sign-in and session", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("ends a session after 8 hours", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const session = await signIn();
    vi.setSystemTime(Date.now() + 8 * 3600_000 - 1000);
    expect((await session.get("/dashboard/health")).status).toBe(200);
    vi.setSystemTime(Date.now() + 2000);
    const res = await session.get("/dashboard/health");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/login");
  });

  it("signs a revoked operator out at once, though its cookie has not expired", async () => {
    const op = await adminJson<{ id: string; token: string }>("POST", "/operators", { name: "soon revoked", role: "viewer" });
    const session = await signIn(op.token);
    expect((await session.get("/dashboard")).status).toBe(200);
    await adminJson("DELETE", `/operators/${op.id}`);
    const res = await session.get("/dashboard");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/login");
  });

  it("signs in with the admin token and sets an HttpOnly, Secure, SameSite=Strict session cookie on /dashboard that does not hold the token", async () => {
    const res = await postForm("/dashboard/login", { token: ADMIN_TOKEN });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard");
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^tgw_dashboard=[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+;/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("Secure");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/dashboard");
    expect(cookie).toMatch(/Max-Age=28800/);
    const value = cookie.split(";")[0]?.split("=")[1] ?? "";
    const payload = atob((value.split(".")[0] ?? "").replaceAll("-", "+").replaceAll("_", "/"));
    expect(payload).not.toContain(ADMIN_TOKEN);
    expect(JSON.parse(payload).operator.role).toBe("owner");
  });

  it("refuses a wrong token with 401, sets no cookie and does not echo the token", async () => {
    const res = await postForm("/dashboard/login", { token: "not-the-admin-token" });
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    const html = await res.text();
    expect(html).toContain("Invalid admin token.");
    expect(html).not.toContain("not-the-admin-token");
  });

  it("signs in with an operator token as that operator", async () => {
    const op = await adminJson<{ token: string }>("POST", "/operators", { name: "dash viewer", role: "viewer" });
    const session = await signIn(op.token);
    const html = await (await session.get("/dashboard")).text();
    expect(html).toContain("dash viewer (viewer)");
    expect(html).not.toContain(op.token);
  });

  it("sends every page but the sign-in form to sign-in without a session, or with a forged or tampered cookie", async () => {
    for (const path of ["/dashboard", "/dashboard/health", "/dashboard/usage.csv", "/dashboard/teams/x", "/dashboard/keys/x"]) {
      const res = await getPage(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location")).toBe("/dashboard/login");
    }
    const { cookie } = await signIn();
    const [name, value] = cookie.split("=") as [string, string];
    const [payload, signature] = value.split(".") as [string, string];
    const forged = btoa(JSON.stringify({ operator: { id: "admin", name: "x", role: "owner", teamIds: [] }, exp: 9e9, nonce: "n" }))
      .replaceAll("=", "")
      .replaceAll("+", "-")
      .replaceAll("/", "_");
    expect((await getPage("/dashboard", `${name}=${forged}.${signature}`)).status).toBe(303);
    expect((await getPage("/dashboard", `${name}=${payload}.${signature.slice(0, -1)}${signature.endsWith("A") ? "B" : "A"}`)).status).toBe(
      303,
    );
    expect((await getPage("/dashboard", cookie)).status).toBe(200);
  });

  it("answers every dashboard response, the sign-in form, pages, assets and refusals, with the CSP and frame headers", async () => {
    const session = await signIn();
    const responses = [
      await getPage("/dashboard/login"),
      await getPage("/dashboard"),
      await session.get("/dashboard"),
      await session.get("/dashboard/health"),
      await session.get("/dashboard/assets/uplot.js"),
      await postForm("/dashboard/login", { token: "wrong" }),
      await session.post("/dashboard/logout", {}),
    ];
    for (const res of responses) expectSecurityHeaders(res);
  });

  it("serves uPlot and its own script and stylesheet from the gateway itself", async () => {
    const js = await getPage("/dashboard/assets/uplot.js");
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(await js.text()).toContain("uPlot");
    expect(await (await getPage("/dashboard/assets/uplot.css")).text()).toContain(".uplot");
    expect(await (await getPage("/dashboard/assets/dashboard.js")).text()).toContain("chart-data");
    expect((await getPage("/dashboard/assets/nope.js")).status).toBe(404);
    const html = await (await (await signIn()).get("/dashboard")).text();
    // No inline script: every <script> either loads a file of ours or is a JSON block.
    for (const tag of html.match(/<script[^>]*>/g) ?? []) expect(tag).toMatch(/src="\/dashboard\/assets\/|type="application\/json"/);
    expect(html).not.toMatch(/https?:\/\//);
  });

  it("refuses a POST without the session's CSRF token, or with another session's, and accepts the right one", async () => {
    const session = await signIn();
    const other = await signIn();
    expect((await session.post("/dashboard/logout", {})).status).toBe(403);
    expect((await session.post("/dashboard/logout", { csrf: await other.csrf() })).status).toBe(403);
    const res = await session.post("/dashboard/logout", { csrf: await session.csrf() });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/dashboard/login");
    const cleared = res.headers.get("set-cookie") ?? "";
    expect(cleared).toMatch(/^tgw_dashboard=;/);
    expect(cleared).toContain("Max-Age=0");
  });

  it("refuses a cross-origin form post even with a valid session and token", async () => {
    const session = await signIn();
    const csrf = await session.csrf();
    const logout = (headers: Record<string, string>) =>
      callGateway("/dashboard/logout", {
        method: "POST",
        headers: { cookie: session.cookie, "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams({ csrf }).toString(),
        redirect: "manual",
      });
    const cross = await logout({ origin: "https://evil.example" });
    expect(cross.status).toBe(403);
    const crossSite = await logout({ origin: "null", "sec-fetch-site": "cross-site" });
    expect(crossSite.status).toBe(403);
    const sameOrigin = await logout({ origin: "null", "sec-fetch-site": "same-origin" });
    expect(sameOrigin.status).toBe(303);
  });
});
