import { findOperatorByHash, type OperatorRow } from "../db/operators";
import { IsolateCache } from "../isolate-cache";
import { OPERATOR_ROLES, type Operator, type OperatorRole } from "./operator";

/**
 * How long a looked-up operator token is trusted without asking D1 again: the documented
 * bound for a revoke or rotation to reach every isolate (the isolate that handled it forgets
 * the token at once). The same bound as gateway keys (src/auth/key-store.ts).
 */
export const OPERATOR_CACHE_TTL_MS = 5_000;
/** Keeps a flood of distinct valid tokens from growing the isolate without bound. */
const MAX_CACHED_OPERATORS = 1_000;

export interface OperatorRecord {
  operator: Operator;
  revoked: boolean;
}

// Isolate-global, holding settled records only (see IsolateCache).
const cache = new IsolateCache<OperatorRecord>(OPERATOR_CACHE_TTL_MS, MAX_CACHED_OPERATORS);

function isRole(role: string): role is OperatorRole {
  return (OPERATOR_ROLES as readonly string[]).includes(role);
}

/** The request's operator as the authorizer needs it (a row of an unknown role is refused by the caller). */
export function operatorOf(row: OperatorRow): Operator | null {
  if (!isRole(row.role)) return null;
  return { id: row.id, name: row.name, role: row.role, teamIds: JSON.parse(row.team_ids) as string[] };
}

/** The operator for a token hash, from this isolate's cache when fresh, else from D1; unknown tokens are not cached. */
export async function lookupOperator(db: D1Database, tokenHash: string, now = Date.now()): Promise<OperatorRecord | null> {
  const hit = cache.fresh(tokenHash, now);
  if (hit) return hit;
  const row = await findOperatorByHash(db, tokenHash);
  cache.delete(tokenHash);
  const operator = row === null ? null : operatorOf(row);
  if (row === null || operator === null) return null;
  const record = { operator, revoked: row.revoked_at !== null };
  cache.set(tokenHash, record, now);
  return record;
}

/** Drop a token from this isolate's cache (after a revoke or rotation). */
export function forgetOperator(tokenHash: string): void {
  cache.delete(tokenHash);
}
