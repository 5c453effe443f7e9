import type { Operator } from "../admin/operator";
import type { UsageTotals } from "../db/usage-summary";
import { Layout } from "./layout";
import { type Series, topRows } from "./overview-data";
import { Totals, UsageCharts, UsageTable } from "./tables";
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

/** What the filter shows as chosen: a window's range and days, or what a refused form asked. */
type Asked = { range: string; days?: { from: string; to: string } };

function RangeFilter(props: { asked: Asked; teamId?: string; teams: { id: string; name: string }[]; allTeams: boolean }) {
  const days = props.asked.days;
  return (
    <form method="get" action="/dashboard" class="filters">
      <label>
        Range{" "}
        <select name="range" id="range-filter">
          {Object.entries(RANGES).map(([name, range]) => (
            <option value={name} selected={name === props.asked.range}>
              {range.label}
            </option>
          ))}
          <option value="custom" selected={props.asked.range === "custom"}>
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
      <RangeFilter asked={props.window} teamId={props.teamId} teams={props.teams} allTeams={props.operator.role !== "team_admin"} />
      <p id="window" data-from={from} data-to={to}>
        {`From ${from} to ${to} (UTC, end exclusive)`}
      </p>
      <Totals row={props.totals} />
      <UsageCharts series={props.series} overview />
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

/** A custom range the form could not take: the filter again, with what was typed and why it was refused. */
export function RangeErrorPage(props: {
  operator: Operator;
  csrf: string;
  message: string;
  asked: Asked;
  teamId?: string;
  teams: { id: string; name: string }[];
}) {
  return (
    <Layout title="Usage overview" operator={props.operator} csrf={props.csrf} charts>
      <p role="alert" class="error" id="range-error">
        {props.message}
      </p>
      <RangeFilter asked={props.asked} teamId={props.teamId} teams={props.teams} allTeams={props.operator.role !== "team_admin"} />
    </Layout>
  );
}
