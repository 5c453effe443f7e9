import type { BudgetPeriod } from "./periods";

/** A spend limit in integer micro-USD over a period. */
export interface Budget {
  limitMicroUsd: number;
  period: BudgetPeriod;
}

/** Exact sliding-window limits over the last 60 s. */
export interface RateLimits {
  requestsPerMinute: number | null;
  tokensPerMinute: number | null;
}

/** What applies to one scope: the team (`"team"`) or one of its keys (the key id). */
export interface ScopePolicy {
  scope: string;
  budget: Budget | null;
  limits: RateLimits | null;
}

/** The key's and its team's policies; null when neither has a budget or a limit (then no Durable Object is called). */
export interface LimitPolicy {
  teamId: string;
  scopes: ScopePolicy[];
}

export const TEAM_SCOPE = "team";

export function hasAnyBudget(policy: LimitPolicy): boolean {
  return policy.scopes.some((scope) => scope.budget !== null);
}
