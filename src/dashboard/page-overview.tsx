import type { Operator } from "../admin/operator";
import type { UsageTotals } from "../db/usage-summary";
import { ChartData, Layout } from "./layout";
import { type Series, topRows } from "./overview-data";
import { Chart, Totals, UsageTable } from "./tables";
import { type ChartWindow, RANGES } from "./windows";

export interface OverviewProps {
  operator: Operator;
  csrf: string;
  window: ChartWindow;
  teamId?: string;
  /** Teams the filter offers: id and name. */
  teams: { id: string; name: string }[];
  totals: UsageTotals | undefined;
  byTeam: UsageTotals[];
  byModel: UsageTotals[];
  byKey: UsageTotals[];
  series: Series;
  /** The CSV links: the by-team-and-model table, and the charts' points. */
  csv: { table: string; series: string };
}

function RangeFilter(props: { window: ChartWindow; teamId?: string; teams: { id: string; name: string }[]; allTeams: boolean }) {
  const days = props.window.days;
  return (
    <form method="get" action="/dashboard" class="filters">
      <label>
        Range{" "}
        <select name="range" id="range-filter">
          {Object.entries(RANGES).map(([name, range]) => (
            <option value={name} selected={name === props.window.range}>
              {range.label}
            </option>
          ))}
          <option value="custom" selected={props.window.range === "custom"}>
            custom days (below)
          </option>
        </select>
      </label>
      <label>
        From (UTC) <input type="date" name="from" value={days?.from ?? ""} data-custom-day />
      </label>
      <label>
        To (UTC, inclusive) <input type="date" name="to" value={days?.to ?? ""} data-custom-day />
      </label>
      <label>
        Team{" "}
        <select name="team_id" id="team-filter">
          {props.allTeams ? <option value="">All teams</option> : null}
          {props.teams.map((team) => (
            <option value={team.id} selected={team.id === props.teamId}>
              {team.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Show</button>
    </form>
  );
}

export function OverviewPage(props: OverviewProps) {
  const from = new Date(props.window.from).toISOString();
  const to = new Date(props.window.to).toISOString();
  const per = props.series.bucket === "hour" ? "per hour" : "per day";
  return (
    <Layout title="Usage overview" operator={props.operator} csrf={props.csrf} charts>
      <RangeFilter window={props.window} teamId={props.teamId} teams={props.teams} allTeams={props.operator.role !== "team_admin"} />
      <p id="window" data-from={from} data-to={to}>
        {`From ${from} to ${to} (UTC, end exclusive)`}
      </p>
      <Totals row={props.totals} />
      <ChartData id="chart-data" data={props.series} />
      <section class="charts" aria-label="Usage over time">
        <Chart id="chart-requests" label={`Requests ${per}`} series="requests" data={props.series} />
        <Chart id="chart-tokens" label={`Tokens ${per}`} series="tokens" data={props.series} />
        <Chart id="chart-cost" label={`Cost ${per} (USD)`} series="cost_usd" data={props.series} />
        <Chart id="chart-errors" label={`Error rate ${per} (% of requests)`} series="error_rate" data={props.series} />
        <Chart id="chart-outcomes" label={`Requests by outcome ${per}`} series="outcomes" data={props.series} />
      </section>
      <p class="note" id="error-rate-note">
        Failed upstream: Tensoras answered an error, could not be reached, or the request was interrupted (<code>upstream_error</code>,{" "}
        <code>upstream_unreachable</code>, <code>interrupted</code>). Rejected: refused by the gateway before Tensoras (budget, rate limit,
        bad request: <code>rejected</code>).
      </p>
      <p class="downloads">
        <a href={props.csv.table} download="usage.csv" id="csv-link">
          Download the by-team-and-model table as CSV
        </a>
        <a href={props.csv.series} download="usage-over-time.csv" id="csv-series-link">
          {`Download the charts' numbers (${per}, by outcome) as CSV`}
        </a>
      </p>
      <UsageTable caption="By team" rows={props.byTeam} group="team" id="by-team" />
      <UsageTable caption="By model" rows={props.byModel} group="model" id="by-model" />
      <UsageTable caption="Top keys by cost" rows={topRows(props.byKey, "cost_micro_usd")} group="key" id="top-cost" />
      <UsageTable caption="Top keys by requests" rows={topRows(props.byKey, "requests")} group="key" id="top-requests" />
    </Layout>
  );
}
