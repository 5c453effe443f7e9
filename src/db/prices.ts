/** The `prices` table (migrations/0004_prices.sql): price versions, written once, never changed. */

export interface PriceRow {
  id: string;
  model: string;
  input_pico_per_token: number;
  cached_input_pico_per_token: number;
  output_pico_per_token: number;
  max_output_tokens: number;
  context_window: number | null;
  effective_from: string;
  created_at: string;
}

const COLUMNS = `id, model, input_pico_per_token, cached_input_pico_per_token, output_pico_per_token,
  max_output_tokens, context_window, effective_from, created_at`;

export function insertPriceStatement(db: D1Database, row: PriceRow): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO prices (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .bind(
      row.id,
      row.model,
      row.input_pico_per_token,
      row.cached_input_pico_per_token,
      row.output_pico_per_token,
      row.max_output_tokens,
      row.context_window,
      row.effective_from,
      row.created_at,
    );
}

/** Every version of a model, newest first (by effective_from, then id). */
export async function listPriceVersions(db: D1Database, model: string): Promise<PriceRow[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM prices WHERE model = ? ORDER BY effective_from DESC, id DESC`)
    .bind(model)
    .all<PriceRow>();
  return results;
}

/** For each model, the version in force at `at` (ISO); models with none in force yet are left out. */
export async function listPricesInForce(db: D1Database, at: string): Promise<PriceRow[]> {
  const { results } = await db
    .prepare(
      `SELECT ${COLUMNS} FROM prices AS p
       WHERE p.id = (SELECT q.id FROM prices AS q WHERE q.model = p.model AND q.effective_from <= ?1
                     ORDER BY q.effective_from DESC, q.id DESC LIMIT 1)
       ORDER BY p.model`,
    )
    .bind(at)
    .all<PriceRow>();
  return results;
}

/**
 * The version of `model` in force at `at` (ISO), and the first one taking effect after it:
 * between the two, the answer cannot change, which is what makes it cacheable. One query,
 * two index seeks on (model, effective_from, id).
 */
export async function findPriceWindow(
  db: D1Database,
  model: string,
  at: string,
): Promise<{ inForce: PriceRow | null; next: PriceRow | null }> {
  const { results } = await db
    .prepare(
      `SELECT * FROM (SELECT 'in_force' AS slot, ${COLUMNS} FROM prices WHERE model = ?1 AND effective_from <= ?2
                      ORDER BY effective_from DESC, id DESC LIMIT 1)
       UNION ALL
       SELECT * FROM (SELECT 'next' AS slot, ${COLUMNS} FROM prices WHERE model = ?1 AND effective_from > ?2
                      ORDER BY effective_from, id LIMIT 1)`,
    )
    .bind(model, at)
    .all<PriceRow & { slot: "in_force" | "next" }>();
  const pick = (slot: string) => {
    const found = results.find((row) => row.slot === slot);
    if (!found) return null;
    const { slot: _slot, ...row } = found;
    return row;
  };
  return { inForce: pick("in_force"), next: pick("next") };
}
