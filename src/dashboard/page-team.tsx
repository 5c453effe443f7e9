import type { Operator } from "../admin/operator";
import type { KeyView, TeamView } from "../admin/views";
import type { UsageTotals } from "../db/usage-summary";
import { formatMillionths, parseMillionths } from "../pricing/decimal";
import { Layout } from "./layout";
import { formatUsd, type Series } from "./overview-data";
import { TableScroll } from "./table-scroll";
import { Figures, Totals, UsageCharts } from "./tables";
import { type ChartWindow, RANGES } from "./windows";

function windowName(window: ChartWindow): string {
  return window.range === "custom" ? "chosen days" : RANGES[window.range].label;
}

/** The presets as links to this page, the one shown marked as current. */
function RangeLinks(props: { path: string; window: ChartWindow }) {
  return (
    <nav aria-label="Time range" class="range-links">
      {Object.entries(RANGES).map(([name, range]) => (
        <a href={`${props.path}?range=${name}`} aria-current={name === props.window.range ? "page" : undefined}>
          {range.label}
        </a>
      ))}
    </nav>
  );
}

/**
 * What is left of a budget this period: the limit less what is spent and what requests in
 * flight hold, in integer millionths (an overspend, which reservations prevent, is shown as such).
 */
function budgetLeft(budget: NonNullable<TeamView["budget"]>): string {
  if (budget.spent_usd === null || budget.reserved_usd === null) return "unknown";
  let left: number;
  try {
    left = parseMillionths(budget.limit_usd) - parseMillionths(budget.spent_usd) - parseMillionths(budget.reserved_usd);
  } catch {
    return "unknown";
  }
  return left >= 0 ? `$${formatMillionths(left, 2)}` : `none (over by $${formatMillionths(-left, 2)})`;
}

/** A team's or a key's budget and rate limits as GET /admin/teams/{id} or /admin/keys/{id} shows them. */
function Budget(props: { id: string; budget: TeamView["budget"]; limits: TeamView["limits"] }) {
  const { budget, limits } = props;
  const figures: [string, string][] = [
    ["Budget", budget ? `$${budget.limit_usd} per ${budget.period}` : "none"],
    ["Spent this period", budget ? (budget.spent_usd === null ? "unknown" : `$${budget.spent_usd}`) : "n/a"],
    ["Reserved (in flight)", budget?.reserved_usd ? `$${budget.reserved_usd}` : "n/a"],
    ["Left this period", budget ? budgetLeft(budget) : "n/a"],
    ["Resets", budget?.resets_at ?? (budget ? "never (a total budget)" : "n/a")],
    ["Requests per minute", String(limits?.requests_per_minute ?? "no limit")],
    ["Tokens per minute", String(limits?.tokens_per_minute ?? "no limit")],
  ];
  return <Figures id={props.id} figures={figures} />;
}

export function TeamPage(props: {
  operator: Operator;
  csrf: string;
  team: TeamView;
  keys: KeyView[];
  usage: UsageTotals[];
  window: ChartWindow;
  /** The keys' usage as GET /admin/usage?group_by=key writes CSV for this window. */
  csvHref: string;
}) {
  const usageOf = new Map(props.usage.map((row) => [row.key_id, row]));
  return (
    <Layout title={`Team ${props.team.name}`} operator={props.operator} csrf={props.csrf}>
      <p>
        Team id <code>{props.team.id}</code>
        {props.team.archived_at ? ` · archived ${props.team.archived_at}` : ""}
      </p>
      <h2>Budget and limits</h2>
      <Budget id="limits" budget={props.team.budget} limits={props.team.limits} />
      <h2>Keys</h2>
      <RangeLinks path={`/dashboard/teams/${encodeURIComponent(props.team.id)}`} window={props.window} />
      <p>
        <a href={props.csvHref} download="team-keys.csv" id="csv-keys-link">
          Download the keys' usage as CSV
        </a>
      </p>
      <TableScroll label="Keys">
        <table id="team-keys">
          <caption>{`Keys (usage over the ${windowName(props.window)})`}</caption>
          <thead>
            <tr>
              <th scope="col">Key</th>
              <th scope="col">Status</th>
              <th scope="col">Prefix</th>
              <th scope="col">Last used</th>
              <th scope="col">Requests</th>
              <th scope="col">Total tokens</th>
              <th scope="col">Cost</th>
            </tr>
          </thead>
          <tbody>
            {props.keys.map((key) => {
              const row = usageOf.get(key.id);
              return (
                <tr>
                  <th scope="row">
                    <a href={`/dashboard/keys/${encodeURIComponent(key.id)}`}>{key.name}</a>
                  </th>
                  <td>{key.status}</td>
                  <td>
                    <code>{key.prefix}</code>
                  </td>
                  <td>{key.last_used_at ?? "never"}</td>
                  <td>{row?.requests ?? 0}</td>
                  <td>{row?.total_tokens ?? 0}</td>
                  <td>{formatUsd(row?.cost_micro_usd ?? 0)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </TableScroll>
    </Layout>
  );
}

export function KeyPage(props: {
  operator: Operator;
  csrf: string;
  apiKey: KeyView;
  totals: UsageTotals | undefined;
  series: Series;
  window: ChartWindow;
  /** The charts' numbers as GET /admin/usage?key_id&group_by=hour,outcome writes CSV for this window. */
  csvHref: string;
}) {
  const key = props.apiKey;
  const canChange = props.operator.role !== "viewer" && key.status !== "revoked";
  const path = `/dashboard/keys/${encodeURIComponent(key.id)}`;
  return (
    <Layout title={`Key ${key.name}`} operator={props.operator} csrf={props.csrf} charts>
      <p>
        <a href={`/dashboard/teams/${encodeURIComponent(key.team_id)}`}>Back to its team</a> · status{" "}
        <strong id="key-status">{key.status}</strong> · prefix <code>{key.prefix}</code> · last used {key.last_used_at ?? "never"}
      </p>
      <h2>Budget and limits of this key</h2>
      <Budget id="key-limits" budget={key.budget} limits={key.limits} />
      <h2>{`Usage over the ${windowName(props.window)}`}</h2>
      <RangeLinks path={path} window={props.window} />
      <Totals row={props.totals} />
      <UsageCharts series={props.series} />
      <p>
        <a href={props.csvHref} download="usage-over-time.csv" id="csv-series-link">
          {`Download the charts' numbers (${props.series.bucket === "hour" ? "per hour" : "per day"}, by outcome) as CSV`}
        </a>
      </p>
      {canChange ? (
        <section aria-label="Actions" class="actions">
          <a href={`${path}/revoke`} class="button danger">
            Revoke this key…
          </a>
          <form method="post" action={`${path}/rotate`} class="inline">
            <input type="hidden" name="csrf" value={props.csrf} />
            <button type="submit">Rotate: issue a new secret now</button>
          </form>
        </section>
      ) : null}
    </Layout>
  );
}
