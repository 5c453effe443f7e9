import type { z } from "@hono/zod-openapi";
import type { Env } from "../env";
import { periodResetsAt } from "../limits/periods";
import { parseBudget, parseLimits, type StoredBudget, type StoredLimits } from "../limits/stored-policy";
import type { BudgetStatus } from "../limits/team-limits";
import { formatMillionths, parseMillionths } from "../pricing/decimal";
import type { BudgetInput, BudgetView, LimitsInput, LimitsView } from "./limit-schemas";

/** A budget as the admin API took it, in the form teams.budget / api_keys.budget store. */
export function storedBudget(input: z.infer<typeof BudgetInput> | null): string | null {
  if (input === null) return null;
  const stored: StoredBudget = { limit_micro_usd: parseMillionths(input.limit_usd), period: input.period };
  return JSON.stringify(stored);
}

export function storedLimits(input: z.infer<typeof LimitsInput> | null): string | null {
  if (input === null) return null;
  const stored: StoredLimits = {
    requests_per_minute: input.requests_per_minute ?? null,
    tokens_per_minute: input.tokens_per_minute ?? null,
  };
  // Both null is no limit at all: stored as none, so the request path never calls the object for it.
  return stored.requests_per_minute === null && stored.tokens_per_minute === null ? null : JSON.stringify(stored);
}

/** What GET shows: the limit, and the current period's spend from the team's object (null when it could not be asked). */
export function budgetView(text: string | null, spend: BudgetStatus | null, now = Date.now()): z.infer<typeof BudgetView> {
  const budget = parseBudget(text);
  if (budget === null) return null;
  const resetsAt = periodResetsAt(budget.period, now);
  return {
    limit_usd: formatMillionths(budget.limitMicroUsd, 2),
    period: budget.period,
    spent_usd: spend === null ? null : formatMillionths(spend.spentMicroUsd, 2),
    reserved_usd: spend === null ? null : formatMillionths(spend.reservedMicroUsd, 2),
    resets_at: resetsAt === null ? null : new Date(resetsAt).toISOString(),
  };
}

export function limitsView(text: string | null): z.infer<typeof LimitsView> {
  const limits = parseLimits(text);
  return limits === null ? null : { requests_per_minute: limits.requestsPerMinute, tokens_per_minute: limits.tokensPerMinute };
}

/**
 * The current spend of each scope (the team, `"team"`, or a key id) that has a budget,
 * from the team's object in one call. An unreachable object gives nulls, not an error:
 * the rest of the view is still true.
 */
export async function budgetSpend(
  env: Env,
  teamId: string,
  scopes: { scope: string; budget: string | null }[],
): Promise<Map<string, BudgetStatus>> {
  const queries = scopes.flatMap(({ scope, budget }) => {
    const parsed = parseBudget(budget);
    return parsed === null ? [] : [{ scope, period: parsed.period }];
  });
  if (queries.length === 0) return new Map();
  try {
    const statuses = await env.TEAM_LIMITS.getByName(teamId).budgetStatuses(queries, Date.now());
    return new Map(queries.map((query, i) => [query.scope, statuses[i] as BudgetStatus]));
  } catch (err) {
    console.error(JSON.stringify({ message: "limits object unreachable for a budget view", team_id: teamId, error: String(err) }));
    return new Map();
  }
}

/** One scope's current spend (the team's, or one key's), or null without a budget or when the object cannot be asked. */
export async function scopeSpend(env: Env, teamId: string, scope: string, budget: string | null): Promise<BudgetStatus | null> {
  if (budget === null) return null;
  return (await budgetSpend(env, teamId, [{ scope, budget }])).get(scope) ?? null;
}
