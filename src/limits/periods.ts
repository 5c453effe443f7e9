/** Budget periods: UTC calendar days and months, or the key's or team's whole life. */
export const BUDGET_PERIODS = ["day", "month", "total"] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** The period a moment falls in, as a key that sorts ("2026-12-01", "2026-12", "total"). */
export function periodKey(period: BudgetPeriod, atMs: number): string {
  const iso = new Date(atMs).toISOString();
  if (period === "day") return iso.slice(0, 10);
  if (period === "month") return iso.slice(0, 7);
  return "total";
}

/** When the period holding `atMs` ends (the next one's first millisecond), or null for `total`. */
export function periodResetsAt(period: BudgetPeriod, atMs: number): number | null {
  const at = new Date(atMs);
  if (period === "day") return Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate() + 1);
  if (period === "month") return Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + 1, 1);
  return null;
}
