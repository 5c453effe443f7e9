import type { BudgetPeriod } from "./periods";
import type { Budget, LimitPolicy, RateLimits, ScopePolicy } from "./policy";
import { TEAM_SCOPE } from "./policy";

/** teams.budget / api_keys.budget: JSON, or NULL for none. */
export interface StoredBudget {
  limit_micro_usd: number;
  period: BudgetPeriod;
}

/** teams.limits / api_keys.limits: JSON, or NULL for none. */
export interface StoredLimits {
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
}

export function parseBudget(text: string | null): Budget | null {
  if (text === null) return null;
  const stored = JSON.parse(text) as StoredBudget;
  return { limitMicroUsd: stored.limit_micro_usd, period: stored.period };
}

export function parseLimits(text: string | null): RateLimits | null {
  if (text === null) return null;
  const stored = JSON.parse(text) as StoredLimits;
  return { requestsPerMinute: stored.requests_per_minute, tokensPerMinute: stored.tokens_per_minute };
}

/** The policy a key's requests are held to: the team's and the key's own; null when neither has a budget or a limit. */
export function limitPolicy(
  teamId: string,
  team: { budget: string | null; limits: string | null },
  key: { id: string; budget: string | null; limits: string | null },
): LimitPolicy | null {
  const scopes: ScopePolicy[] = [
    { scope: TEAM_SCOPE, budget: parseBudget(team.budget), limits: parseLimits(team.limits) },
    { scope: key.id, budget: parseBudget(key.budget), limits: parseLimits(key.limits) },
  ].filter((scope) => scope.budget !== null || scope.limits !== null);
  return scopes.length === 0 ? null : { teamId, scopes };
}
