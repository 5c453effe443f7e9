import { forgetKey } from "../auth/key-store";

/** This isolate stops honouring cached key records at once; others within KEY_CACHE_TTL_MS. */
export function forgetAll(hashes: string[]): void {
  for (const hash of hashes) forgetKey(hash);
}

/** A team's budget or limits changed: every one of its keys' cached records holds the old policy. */
export async function forgetTeamKeys(db: D1Database, teamId: string): Promise<void> {
  const { results } = await db
    .prepare("SELECT key_hash, previous_key_hash FROM api_keys WHERE team_id = ?")
    .bind(teamId)
    .all<{ key_hash: string; previous_key_hash: string | null }>();
  forgetAll(results.flatMap((row) => [row.key_hash, row.previous_key_hash].filter((hash): hash is string => hash !== null)));
}
