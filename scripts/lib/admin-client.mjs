/**
 * The admin CLI's side of the wire: where the gateway is, which token to send, and
 * one request function that turns every failure into one of three errors the CLI
 * maps to exit codes (UsageError 2, ApiError 1, ConnectionError 3).
 *
 * Node built-ins only, and nothing newer than Node 20: the CLI runs on the system Node.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseDevVars } from "./dev-vars.mjs";

export const DEFAULT_URL = "http://127.0.0.1:8787";
export const REQUEST_TIMEOUT_MS = 60_000;

/** Bad arguments or configuration: exit 2. */
export class UsageError extends Error {
  name = "UsageError";
}

/** The gateway answered with a non-2xx status: exit 1. */
export class ApiError extends Error {
  name = "ApiError";
  /**
   * @param {number} status
   * @param {{ message: string, type?: string, param?: string | null, code?: string | null } | null} error the OpenAI error object, when the body had one
   * @param {string} fallback text for a body that is not in the OpenAI shape
   * @param {string} [statusText]
   */
  constructor(status, error, fallback, statusText = "") {
    super(error?.message ?? fallback);
    this.status = status;
    this.error = error;
    this.statusText = statusText;
  }

  /** `409 team_name_taken: A team named "x" already exists. (param: name)` */
  line() {
    const error = this.error;
    if (error) {
      const code = error.code ?? error.type ?? "error";
      const param = error.param ? ` (param: ${error.param})` : "";
      return oneLine(`${this.status} ${code}: ${error.message}${param}`, 1000);
    }
    const text = this.message ? `: ${this.message}` : "";
    return oneLine(`${this.status}${this.statusText ? ` ${this.statusText}` : ""}${text}`, 1000);
  }
}

/** No HTTP answer at all (refused, DNS, TLS, timeout): exit 3. */
export class ConnectionError extends Error {
  name = "ConnectionError";
}

/** The URL as it may be shown: without any user:password part. */
export function displayUrl(url) {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.href.replace(/\/$/, "");
  } catch {
    return "(invalid URL)";
  }
}

/**
 * Where the gateway is and which admin token to send.
 * Token order: --token, TGW_ADMIN_TOKEN, ADMIN_TOKEN, then ADMIN_TOKEN in ./.dev.vars.
 * @param {{ url?: string, token?: string }} flags
 * @param {Record<string, string | undefined>} env
 * @param {string} cwd
 * @returns {{ url: string, token: string, tokenSource: string }}
 */
export function resolveConfig(flags, env, cwd) {
  const rawUrl = flags.url ?? (env.TGW_URL || DEFAULT_URL);
  let parsed;
  try {
    parsed = new URL(rawUrl);
  } catch {
    throw new UsageError(`not a URL: ${JSON.stringify(rawUrl)} (from ${flags.url !== undefined ? "--url" : "TGW_URL"})`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new UsageError(`the gateway URL must be http:// or https://, not ${parsed.protocol}`);
  }
  if (parsed.username || parsed.password) {
    throw new UsageError("the gateway URL must not contain a user name or password; pass the admin token with TGW_ADMIN_TOKEN");
  }
  if (parsed.search || parsed.hash) throw new UsageError("the gateway URL must not have a query string or fragment");
  const url = parsed.href.replace(/\/+$/, "");

  /** @type {[string | undefined, string][]} */
  const candidates = [
    [flags.token, "--token"],
    [env.TGW_ADMIN_TOKEN, "TGW_ADMIN_TOKEN"],
    [env.ADMIN_TOKEN, "ADMIN_TOKEN"],
  ];
  if (flags.token !== undefined && flags.token.trim() === "") throw new UsageError("--token is empty");
  for (const [value, source] of candidates) {
    if (value && value.trim() !== "") return { url, token: value.trim(), tokenSource: source };
  }
  const devVars = join(cwd, ".dev.vars");
  if (existsSync(devVars)) {
    let vars;
    try {
      vars = parseDevVars(readFileSync(devVars, "utf8"));
    } catch (err) {
      throw new UsageError(`cannot read ${devVars}: ${err instanceof Error ? err.message : err}`);
    }
    if (vars.ADMIN_TOKEN) return { url, token: vars.ADMIN_TOKEN, tokenSource: ".dev.vars" };
    throw new UsageError("no admin token: set TGW_ADMIN_TOKEN (./.dev.vars exists but has no ADMIN_TOKEN)");
  }
  throw new UsageError("no admin token: set TGW_ADMIN_TOKEN (or ADMIN_TOKEN), or run from a directory whose .dev.vars has ADMIN_TOKEN");
}

function isLocal(url) {
  const host = new URL(url).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]" || host === "0.0.0.0";
}

/** Node's fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND, a TLS code) is in `cause`. */
function connectionReason(err) {
  let cause = err;
  for (let depth = 0; cause && depth < 5; depth++) {
    if (cause.code && typeof cause.code === "string") return cause.code;
    if (cause.errors?.[0]?.code) return cause.errors[0].code; // AggregateError: IPv4 and IPv6 both refused
    cause = cause.cause;
  }
  return err?.cause?.message || err?.message || String(err);
}

function oneLine(text, max = 300) {
  const flat = String(text).replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * A client for /admin on one gateway.
 * @param {{ url: string, token: string }} config
 */
export function adminClient({ url, token }) {
  const shown = displayUrl(url);

  /**
   * @param {string} method
   * @param {string} path below /admin, starting with "/"
   * @param {{ query?: Record<string, string | number | undefined>, body?: unknown, text?: boolean }} [options]
   * @returns {Promise<any>} the parsed JSON, or the body as text when `text` is set
   */
  async function request(method, path, options = {}) {
    const target = new URL(`${url}/admin${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) target.searchParams.set(name, String(value));
    }
    /** @type {Record<string, string>} */
    const headers = { authorization: `Bearer ${token}`, accept: options.text ? "text/csv" : "application/json" };
    let body;
    if (options.body !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.body);
    }
    let response;
    let text;
    try {
      response = await fetch(target, { method, headers, body, redirect: "manual", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      text = await response.text();
    } catch (err) {
      if (err?.name === "TimeoutError") {
        const maybe = method === "GET" ? "" : " (the change may or may not have been applied: check with a get or `audit`)";
        throw new ConnectionError(`no answer from the gateway at ${shown} within ${REQUEST_TIMEOUT_MS / 1000}s${maybe}`);
      }
      const hint = isLocal(url) ? "; is it running? (`npm run dev`, or set TGW_URL / --url)" : "; check TGW_URL / --url";
      throw new ConnectionError(`cannot reach the gateway at ${shown} (${connectionReason(err)})${hint}`);
    }
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get("location");
      throw new ApiError(response.status, null, `redirected${location ? ` to ${location}` : ""}; point TGW_URL at the final address`);
    }
    if (!response.ok) {
      let error = null;
      try {
        const parsed = JSON.parse(text);
        if (parsed && typeof parsed.error === "object" && typeof parsed.error?.message === "string") error = parsed.error;
      } catch {
        // not JSON: shown as text below
      }
      throw new ApiError(response.status, error, oneLine(text), response.statusText);
    }
    if (options.text) return text;
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(response.status, null, `expected JSON from ${shown}, got: ${oneLine(text, 120)}`);
    }
  }

  /**
   * Follows next_cursor until `max` items or the last page.
   * @returns {Promise<{ data: any[], next_cursor: string | null }>} every item, and the cursor to resume after them
   */
  async function collect(path, query = {}, max = Number.POSITIVE_INFINITY) {
    /** @type {any[]} */
    const data = [];
    let cursor;
    const seen = new Set();
    for (;;) {
      const limit = Math.min(1000, max - data.length);
      const page = await request("GET", path, { query: { ...query, limit, cursor } });
      data.push(...page.data);
      cursor = page.next_cursor ?? null;
      if (cursor === null || data.length >= max || seen.has(cursor)) return { data, next_cursor: cursor };
      seen.add(cursor);
    }
  }

  return { url: shown, request, collect };
}
