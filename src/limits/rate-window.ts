import type { RateLimits } from "./policy";

/** The sliding window of the rate limits. */
export const WINDOW_MS = 60_000;

/** One scope's window now: requests started in the last 60 s and their (reserved, then settled) tokens. */
export interface WindowState {
  requests: number;
  tokens: number;
  /** When the newest request in the window started, or null when it is empty. */
  newestAt: number | null;
}

/**
 * A scope's requests of the last 60 s, in the object's SQLite: one row per request
 * (window_events, keyed by scope and time) and running totals per scope
 * (window_totals), so that a check reads two numbers, not the whole window. Expired
 * rows are deleted per scope, through the primary key, before each check, and their
 * figures leave the totals in the same synchronous step.
 */
export class RateWindows {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(`
      CREATE TABLE IF NOT EXISTS window_events (scope TEXT NOT NULL, at_ms INTEGER NOT NULL, request_id TEXT NOT NULL,
        tokens INTEGER NOT NULL, PRIMARY KEY (scope, at_ms, request_id)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS window_events_request ON window_events(request_id);
      CREATE TABLE IF NOT EXISTS window_totals (scope TEXT PRIMARY KEY, requests INTEGER NOT NULL, tokens INTEGER NOT NULL) WITHOUT ROWID;
      INSERT OR IGNORE INTO window_totals SELECT scope, COUNT(*), SUM(tokens) FROM window_events GROUP BY scope;
    `);
  }

  /** The scope's window as of `nowMs`, after dropping what left it. */
  current(scope: string, nowMs: number): WindowState {
    const expired = this.sql
      .exec<{ tokens: number }>("DELETE FROM window_events WHERE scope = ? AND at_ms <= ? RETURNING tokens", scope, nowMs - WINDOW_MS)
      .toArray();
    if (expired.length > 0) {
      const tokens = expired.reduce((sum, row) => sum + row.tokens, 0);
      this.sql.exec("UPDATE window_totals SET requests = requests - ?, tokens = tokens - ? WHERE scope = ?", expired.length, tokens, scope);
    }
    const totals = this.sql
      .exec<{ requests: number; tokens: number }>("SELECT requests, tokens FROM window_totals WHERE scope = ?", scope)
      .toArray()[0];
    const newest = this.sql
      .exec<{ at_ms: number }>("SELECT at_ms FROM window_events WHERE scope = ? ORDER BY at_ms DESC LIMIT 1", scope)
      .toArray()[0];
    return { requests: totals?.requests ?? 0, tokens: totals?.tokens ?? 0, newestAt: newest?.at_ms ?? null };
  }

  /** Adds a request to the scope's window; returns the window after it (`before` as `current` gave it). */
  add(scope: string, nowMs: number, requestId: string, tokens: number, before: WindowState): WindowState {
    this.sql.exec("INSERT INTO window_events VALUES (?, ?, ?, ?)", scope, nowMs, requestId, tokens);
    this.sql.exec(
      `INSERT INTO window_totals VALUES (?1, 1, ?2)
       ON CONFLICT (scope) DO UPDATE SET requests = requests + 1, tokens = tokens + ?2`,
      scope,
      tokens,
    );
    return { requests: before.requests + 1, tokens: before.tokens + tokens, newestAt: Math.max(before.newestAt ?? nowMs, nowMs) };
  }

  /** The request's tokens become its actual count, in every window it is still in. */
  settle(requestId: string, tokens: number): void {
    const rows = this.sql
      .exec<{ scope: string; tokens: number }>("SELECT scope, tokens FROM window_events WHERE request_id = ?", requestId)
      .toArray();
    for (const row of rows) {
      this.sql.exec("UPDATE window_totals SET tokens = tokens + ? WHERE scope = ?", tokens - row.tokens, row.scope);
    }
    if (rows.length > 0) this.sql.exec("UPDATE window_events SET tokens = ? WHERE request_id = ?", tokens, requestId);
  }

  /**
   * When a refused request could start: when enough of the window has left it. Read
   * only on a refusal, so it may walk the window.
   */
  retryAfterMs(scope: string, limits: RateLimits, state: WindowState, tokens: number, nowMs: number): number | null {
    if (limits.requestsPerMinute !== null && state.requests + 1 > limits.requestsPerMinute) {
      // A slot frees when the request that must leave for one to fit leaves the window.
      const row = this.sql
        .exec<{ at_ms: number }>(
          "SELECT at_ms FROM window_events WHERE scope = ? ORDER BY at_ms LIMIT 1 OFFSET ?",
          scope,
          state.requests - limits.requestsPerMinute,
        )
        .toArray()[0];
      return Math.max(1, (row?.at_ms ?? nowMs) + WINDOW_MS - nowMs);
    }
    if (limits.tokensPerMinute !== null && state.tokens + tokens > limits.tokensPerMinute) {
      let used = state.tokens;
      for (const row of this.sql.exec<{ at_ms: number; tokens: number }>(
        "SELECT at_ms, tokens FROM window_events WHERE scope = ? ORDER BY at_ms",
        scope,
      )) {
        used -= row.tokens;
        if (used + tokens <= limits.tokensPerMinute) return Math.max(1, row.at_ms + WINDOW_MS - nowMs);
      }
      // Larger than the whole limit: it never fits; a minute is the honest wait for a limit to reset.
      return WINDOW_MS;
    }
    return null;
  }
}
