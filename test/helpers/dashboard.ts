import { expect } from "vitest";
import { ADMIN_TOKEN } from "./admin";
import { callGateway } from "./gateway";

/** A browser-like caller of /dashboard: keeps the session cookie, sends forms. */
export interface DashboardSession {
  cookie: string;
  get(path: string): Promise<Response>;
  post(path: string, form: Record<string, string>): Promise<Response>;
  /** The page's CSRF token (the sign-out form carries it on every signed-in page). */
  csrf(): Promise<string>;
}

export function postForm(path: string, form: Record<string, string>, cookie?: string): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (cookie) headers.cookie = cookie;
  return callGateway(path, { method: "POST", headers, body: new URLSearchParams(form).toString(), redirect: "manual" });
}

export function getPage(path: string, cookie?: string): Promise<Response> {
  return callGateway(path, { headers: cookie ? { cookie } : {}, redirect: "manual" });
}

export function csrfOf(html: string): string {
  const match = /name="csrf" value="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error("no CSRF token on the page");
  return match[1];
}

export async function signIn(token = ADMIN_TOKEN): Promise<DashboardSession> {
  const res = await postForm("/dashboard/login", { token });
  expect(res.status, await res.clone().text()).toBe(303);
  const setCookie = res.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0] ?? "";
  expect(cookie).toMatch(/^tgw_dashboard=/);
  return {
    cookie,
    get: (path) => getPage(path, cookie),
    post: (path, form) => postForm(path, form, cookie),
    csrf: async () => csrfOf(await (await getPage("/dashboard/health", cookie)).text()),
  };
}

/** The text of the table cells with data-col=`column` inside the element with id `tableId`. */
export function tableColumn(html: string, tableId: string, column: string): string[] {
  const start = html.indexOf(`id="${tableId}"`);
  const end = html.indexOf("</table>", start);
  const table = html.slice(start, end);
  return [...table.matchAll(new RegExp(`data-col="${column}"[^>]*>([^<]*)`, "g"))].map((m) => m[1] ?? "");
}

/** The window a dashboard page printed (#window's data attributes): [from, to) as ISO instants. */
export function windowOf(html: string): { from: string; to: string } {
  const match = /id="window" data-from="([^"]+)" data-to="([^"]+)"/.exec(html);
  if (!match?.[1] || !match[2]) throw new Error("no window on the page");
  return { from: match[1], to: match[2] };
}

/** A page's chart data, the JSON block dashboard.js draws from. */
export interface ChartJson {
  t: number[];
  bucket: "hour" | "day";
  columns: Record<string, number[]>;
  lines: Record<string, { label: string; key: string }[]>;
}

export function chartOf(html: string): ChartJson {
  return JSON.parse(/id="chart-data">([^<]*)<\/script>/.exec(html)?.[1] ?? "{}") as ChartJson;
}
