import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { type BudgetPeriod, periodKey, periodResetsAt } from "./periods";
import type { ScopePolicy } from "./policy";
import { type RateLimitState, rateLimitState } from "./rate-state";
import { RateWindows, WINDOW_MS, type WindowState } from "./rate-window";

export { WINDOW_MS } from "./rate-window";
/**
 * A reservation whose request was never settled (neither by the gateway, nor by the
 * queue consumer, nor by the interrupted sweep) is settled at its worst case after
 * this long, so that no reservation holds a budget for ever.
 */
export const STALE_RESERVATION_MS = 24 * 3600 * 1000;
const ALARM_EVERY_MS = 3600 * 1000;

export interface ReserveRequest {
  requestId: string;
  nowMs: number;
  scopes: ScopePolicy[];
  /** Worst-case cost in micro-USD; 0 when the model has no price (only allowed without a budget). */
  costMicroUsd: number;
  /** Worst-case tokens (prompt bound + output bound), for tokens_per_minute. */
  tokens: number;
}

export type Refusal = "budget" | "requests" | "tokens";

export type ReserveResult =
  | { ok: true; rate: RateLimitState | null }
  | { ok: false; refusal: Refusal; scope: string; retryAfterMs: number | null; rate: RateLimitState | null };

export interface SettleRequest {
  requestId: string;
  costMicroUsd: number;
  tokens: number;
}

export interface BudgetStatus {
  spentMicroUsd: number;
  reservedMicroUsd: number;
  resetsAt: number | null;
}

interface ReservationRow extends Record<string, SqlStorageValue> {
  cost: number;
  budgets: string;
}

/**
 * One per team (never one global object): the team's and its keys' budgets, rate
 * windows and open reservations, in the object's own SQLite storage.
 *
 * `reserve` checks every limit and writes the reservation in one synchronous step: no
 * `await` between the check and the write, so concurrent requests are serialised by
 * the object and cannot overshoot (measured here: an await in between let 200 of 200
 * through a limit of 50).
 */
export class TeamLimits extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly windows: RateWindows;
  /** Set once this instance has made sure an alarm is scheduled (no storage read per reservation). */
  private alarmScheduled = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS spend (scope TEXT NOT NULL, period_key TEXT NOT NULL, spent INTEGER NOT NULL DEFAULT 0,
        reserved INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (scope, period_key)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS reservations (request_id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL, cost INTEGER NOT NULL,
        tokens INTEGER NOT NULL, budgets TEXT NOT NULL) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS reservations_created ON reservations(created_ms);
    `);
    this.windows = new RateWindows(this.sql);
  }

  reserve(request: ReserveRequest): ReserveResult {
    const { requestId, nowMs, scopes } = request;
    // Each limited scope's window is read once per reservation: the check, the write and the headers share it.
    const states = new Map<string, WindowState>();
    const windowOf = (scope: string): WindowState => {
      const known = states.get(scope);
      if (known) return known;
      const state = this.windows.current(scope, nowMs);
      states.set(scope, state);
      return state;
    };
    if (this.sql.exec("SELECT 1 FROM reservations WHERE request_id = ?", requestId).toArray().length > 0) {
      return { ok: true, rate: this.rate(scopes, nowMs, windowOf) };
    }
    const refusal = this.firstRefusal(request, windowOf);
    if (refusal) return { ok: false, ...refusal, rate: this.rate(scopes, nowMs, windowOf) };

    const budgets: [string, string][] = [];
    for (const { scope, budget, limits } of scopes) {
      if (budget) {
        const key = periodKey(budget.period, nowMs);
        budgets.push([scope, key]);
        this.sql.exec(
          `INSERT INTO spend (scope, period_key, reserved) VALUES (?1, ?2, ?3)
           ON CONFLICT (scope, period_key) DO UPDATE SET reserved = reserved + ?3`,
          scope,
          key,
          request.costMicroUsd,
        );
      }
      if (limits) states.set(scope, this.windows.add(scope, nowMs, requestId, request.tokens, windowOf(scope)));
    }
    this.sql.exec(
      "INSERT INTO reservations (request_id, created_ms, cost, tokens, budgets) VALUES (?, ?, ?, ?, ?)",
      requestId,
      nowMs,
      request.costMicroUsd,
      request.tokens,
      JSON.stringify(budgets),
    );
    if (!this.alarmScheduled) {
      this.alarmScheduled = true;
      void this.ensureAlarm(nowMs);
    }
    return { ok: true, rate: this.rate(scopes, nowMs, windowOf) };
  }

  /** The reservation becomes the request's real cost and tokens. Idempotent: a second settle finds nothing to do. */
  settle(request: SettleRequest): boolean {
    const row = this.sql
      .exec<ReservationRow>("SELECT cost, budgets FROM reservations WHERE request_id = ?", request.requestId)
      .toArray()[0];
    if (!row) return false;
    for (const [scope, key] of JSON.parse(row.budgets) as [string, string][]) {
      this.sql.exec(
        "UPDATE spend SET reserved = reserved - ?3, spent = spent + ?4 WHERE scope = ?1 AND period_key = ?2",
        scope,
        key,
        row.cost,
        request.costMicroUsd,
      );
    }
    this.windows.settle(request.requestId, request.tokens);
    this.sql.exec("DELETE FROM reservations WHERE request_id = ?", request.requestId);
    return true;
  }

  /** Many settles in one call (the queue consumer's batch for this team). */
  settleMany(requests: SettleRequest[]): number {
    let settled = 0;
    for (const request of requests) if (this.settle(request)) settled++;
    return settled;
  }

  budgetStatus(scope: string, period: BudgetPeriod, nowMs: number): BudgetStatus {
    const row = this.sql
      .exec<{ spent: number; reserved: number }>(
        "SELECT spent, reserved FROM spend WHERE scope = ? AND period_key = ?",
        scope,
        periodKey(period, nowMs),
      )
      .toArray()[0];
    return { spentMicroUsd: row?.spent ?? 0, reservedMicroUsd: row?.reserved ?? 0, resetsAt: periodResetsAt(period, nowMs) };
  }

  /** Several scopes' current spend at once (an admin view of a team and its keys). */
  budgetStatuses(queries: { scope: string; period: BudgetPeriod }[], nowMs: number): BudgetStatus[] {
    return queries.map((query) => this.budgetStatus(query.scope, query.period, nowMs));
  }

  override async alarm(): Promise<void> {
    const cutoff = Date.now() - STALE_RESERVATION_MS;
    const stale = this.sql
      .exec<{ request_id: string; cost: number; tokens: number }>(
        "SELECT request_id, cost, tokens FROM reservations WHERE created_ms < ?",
        cutoff,
      )
      .toArray();
    // Worst case, as reserved: the request's record never came, so its real cost is unknown.
    for (const row of stale) this.settle({ requestId: row.request_id, costMicroUsd: row.cost, tokens: row.tokens });
    if (stale.length > 0) console.warn(JSON.stringify({ message: "stale reservations settled at their worst case", count: stale.length }));
    const open = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM reservations").one().n;
    this.alarmScheduled = open > 0;
    if (open > 0) await this.ctx.storage.setAlarm(Date.now() + ALARM_EVERY_MS);
  }

  private async ensureAlarm(nowMs: number): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(nowMs + ALARM_EVERY_MS);
  }

  private firstRefusal(
    request: ReserveRequest,
    windowOf: (scope: string) => WindowState,
  ): Omit<Extract<ReserveResult, { ok: false }>, "ok" | "rate"> | null {
    for (const { scope, budget, limits } of request.scopes) {
      if (budget) {
        const key = periodKey(budget.period, request.nowMs);
        const row = this.sql
          .exec<{ spent: number; reserved: number }>("SELECT spent, reserved FROM spend WHERE scope = ? AND period_key = ?", scope, key)
          .toArray()[0];
        if ((row?.spent ?? 0) + (row?.reserved ?? 0) + request.costMicroUsd > budget.limitMicroUsd) {
          const resetsAt = periodResetsAt(budget.period, request.nowMs);
          return { refusal: "budget", scope, retryAfterMs: resetsAt === null ? null : resetsAt - request.nowMs };
        }
      }
      if (!limits) continue;
      const state = windowOf(scope);
      const retryAfterMs = this.windows.retryAfterMs(scope, limits, state, request.tokens, request.nowMs);
      if (retryAfterMs !== null) {
        const refusal = limits.requestsPerMinute !== null && state.requests + 1 > limits.requestsPerMinute ? "requests" : "tokens";
        return { refusal, scope, retryAfterMs };
      }
    }
    return null;
  }

  /** The rate-limit headers' figures: of all scopes with a limit, the tightest. */
  private rate(scopes: ScopePolicy[], nowMs: number, windowOf: (scope: string) => WindowState): RateLimitState | null {
    const windows = scopes
      .filter((scope) => scope.limits !== null)
      .map((scope) => ({ limits: scope.limits as NonNullable<ScopePolicy["limits"]>, state: windowOf(scope.scope) }));
    return rateLimitState(windows, nowMs, WINDOW_MS);
  }
}
