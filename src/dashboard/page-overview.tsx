import type { Operator } from "../admin/operator";
import type { UsageTotals } from "../db/usage-summary";
import { ChartData, Layout } from "./layout";
import { RANGES, type RangeName, type Series, topRows } from "./overview-data";
import { Chart, Totals, UsageTable } from "./tables";

export interface OverviewProps {
  operator: Operator;
  csrf: string;
  range: RangeName;
  teamId?: string;
  /** Teams the filter offers: id and name. */
  teams: { id: string; name: string }[];
  totals: UsageTotals | undefined;
  byTeam: UsageTotals[];
  byModel: UsageTotals[];
  byKey: UsageTotals[];
  series: Series;
  csvHref: string;
  /** The window every figure covers: [from, to). */
  window: { from: string; to: string };
}

function RangeFilter(props: { range: RangeName; teamId?: string; teams: { id: string; name: string }[]; allTeams: boolean }) {
  return (
    <form method="get" action="/dashboard" class="filters">
      <label>
        Range{" "}
        <select name="range">
          {Object.keys(RANGES).map((name) => (
            <option value={name} selected={name === props.range}>
              {`last ${name}`}
            </option>
          ))}
        </select>
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
  return (
    <Layout title="Usage overview" operator={props.operator} csrf={props.csrf} charts>
      <RangeFilter range={props.range} teamId={props.teamId} teams={props.teams} allTeams={props.operator.role !== "team_admin"} />
      <p id="window" data-from={props.window.from} data-to={props.window.to}>
        {`From ${props.window.from} to ${props.window.to} (UTC, end exclusive)`}
      </p>
      <Totals row={props.totals} />
      <ChartData id="chart-data" data={props.series} />
      <section class="charts" aria-label="Usage over time">
        <Chart id="chart-requests" label="Requests over time" series="requests" />
        <Chart id="chart-tokens" label="Tokens over time (prompt, completion)" series="tokens" />
        <Chart id="chart-cost" label="Cost over time (USD)" series="cost_usd" />
      </section>
      <p>
        <a href={props.csvHref} download="usage.csv" id="csv-link">
          Download the by-team-and-model table as CSV
        </a>
      </p>
      <UsageTable caption="By team" rows={props.byTeam} group="team" id="by-team" />
      <UsageTable caption="By model" rows={props.byModel} group="model" id="by-model" />
      <UsageTable caption="Top keys by cost" rows={topRows(props.byKey, "cost_micro_usd")} group="key" id="top-cost" />
      <UsageTable caption="Top keys by requests" rows={topRows(props.byKey, "requests")} group="key" id="top-requests" />
    </Layout>
  );
}
