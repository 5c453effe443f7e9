// Query times for one team's month: GET /admin/usage through the worker (whole hours from
// usage_hourly, edge hours from raw rows: src/db/usage-summary.ts) against the raw-only SQL
// the code ran before roll-ups, through the same local D1, both timed inside workerd by the
// driver worker (bench/lib/ledger-driver.mjs).
import { timeInWorkerd } from "./ledger-driver.mjs";
import { spread } from "./stats.mjs";

const SUMS = `COUNT(*) AS requests, SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens,
  SUM(total_tokens) AS total_tokens, IFNULL(SUM(cost_micro_usd), 0) AS cost_micro_usd`;
const RAW_BY_MODEL = `SELECT model, ${SUMS} FROM usage_events WHERE team_id = ? AND started_at >= ? AND started_at < ? GROUP BY model`;
const RAW_BY_DAY = `SELECT substr(started_at, 1, 10) AS day, ${SUMS} FROM usage_events
  WHERE team_id = ? AND started_at >= ? AND started_at < ? GROUP BY day`;
// The roll-up read with the team as a plain equality, so that usage_hourly_team serves it:
// src/db/usage-summary.ts's `(?1 IS NULL OR team_id = ?1)` form makes SQLite scan usage_hourly whole.
const ROLLUP_SUMS = `SUM(requests) AS requests, SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens,
  SUM(total_tokens) AS total_tokens, SUM(cost_micro_usd) AS cost_micro_usd`;
const ROLLUP_BY_MODEL = `SELECT model, ${ROLLUP_SUMS} FROM usage_hourly WHERE team_id = ? AND hour >= ? AND hour < ? GROUP BY model`;
const ROLLUP_BY_DAY = `SELECT substr(hour, 1, 10) AS day, ${ROLLUP_SUMS} FROM usage_hourly WHERE team_id = ? AND hour >= ? AND hour < ? GROUP BY day`;

/** {firstMs, median, min, max, mean, result} of a job run in workerd. */
async function timed(mf, job, reps) {
  const run = await timeInWorkerd(mf, job, reps);
  return { firstMs: run.firstMs, warm: { ...spread(run.times), mean: run.meanMs }, result: run.result };
}

const total = (rows, field) => rows.reduce((n, r) => n + Number(r[field] ?? 0), 0);

/** The API's answer must be the sum of raw rows, or the timing compares different work. */
function sameTotals(label, api, raw) {
  for (const field of ["requests", "prompt_tokens", "completion_tokens", "total_tokens", "cost_micro_usd"]) {
    if (total(api, field) !== total(raw, field)) {
      throw new Error(`${label}: the API's ${field} ${total(api, field)} differs from raw rows' ${total(raw, field)}`);
    }
  }
}

/**
 * Times each query `reps` times after a first run, for each team in `teams` ({label, id}),
 * over [from, to) (whole hours) and over the same month with 20 minutes cut off each end
 * (two partial hours read from raw rows); and the roll-up read as plain SQL with the team
 * as an equality, which is what the API's read costs once its plan uses usage_hourly_team.
 */
export async function measureQueries(mf, { teams, from, to, reps }) {
  const cut = 20 * 60_000;
  const edgeFrom = new Date(Date.parse(from) + cut).toISOString();
  const edgeTo = new Date(Date.parse(to) - cut).toISOString();
  const api = (team, groupBy, f, t) => ({
    kind: "api",
    path: `/admin/usage?team_id=${encodeURIComponent(team)}&from=${encodeURIComponent(f)}&to=${encodeURIComponent(t)}&group_by=${groupBy}&limit=1000`,
  });
  const sql = (text, ...params) => ({ kind: "sql", sql: text, params });
  const baseline = {
    d1Select1: await timed(mf, sql("SELECT 1"), reps),
    apiEmptyTeam: await timed(mf, api("team_none", "model", from, to), reps),
  };
  const out = [];
  for (const team of teams) {
    const runs = {
      apiByModel: await timed(mf, api(team.id, "model", from, to), reps),
      apiByDay: await timed(mf, api(team.id, "day", from, to), reps),
      apiByModelEdges: await timed(mf, api(team.id, "model", edgeFrom, edgeTo), reps),
      rawByModel: await timed(mf, sql(RAW_BY_MODEL, team.id, from, to), reps),
      rawByDay: await timed(mf, sql(RAW_BY_DAY, team.id, from, to), reps),
      rawByModelEdges: await timed(mf, sql(RAW_BY_MODEL, team.id, edgeFrom, edgeTo), reps),
      rollupSqlByModel: await timed(mf, sql(ROLLUP_BY_MODEL, team.id, from.slice(0, 13), to.slice(0, 13)), reps),
      rollupSqlByDay: await timed(mf, sql(ROLLUP_BY_DAY, team.id, from.slice(0, 13), to.slice(0, 13)), reps),
    };
    sameTotals(`${team.label} roll-up SQL by model`, runs.rollupSqlByModel.result, runs.rawByModel.result);
    sameTotals(`${team.label} by model`, runs.apiByModel.result, runs.rawByModel.result);
    sameTotals(`${team.label} by day`, runs.apiByDay.result, runs.rawByDay.result);
    sameTotals(`${team.label} by model, partial edge hours`, runs.apiByModelEdges.result, runs.rawByModelEdges.result);
    if (runs.apiByDay.result.length === 0) throw new Error(`${team.label}: no usage in the month measured`);
    out.push({
      team: team.label,
      teamId: team.id,
      share: team.share,
      rawRows: total(runs.rawByModel.result, "requests"),
      timings: timingsOf(runs),
    });
  }
  return { from, to, edgeFrom, edgeTo, reps, baseline: timingsOf(baseline), teams: out };
}

function timingsOf(runs) {
  return Object.fromEntries(Object.entries(runs).map(([name, { firstMs, warm }]) => [name, { firstMs, ...warm }]));
}

/** The SQL the old code ran, for the report. */
export const QUERY_SQL = { rawByModel: RAW_BY_MODEL, rawByDay: RAW_BY_DAY, rollupByModel: ROLLUP_BY_MODEL, rollupByDay: ROLLUP_BY_DAY };
