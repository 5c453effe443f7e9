import type { Operator } from "../admin/operator";
import type { KeyView, TeamView } from "../admin/views";
import type { UsageTotals } from "../db/usage-summary";
import { ChartData, Layout } from "./layout";
import { formatUsd, type Series } from "./overview-data";
import { TableScroll } from "./table-scroll";
import { Chart, Totals } from "./tables";
import type { RangeName } from "./windows";

function Budget(props: { budget: TeamView["budget"]; limits: TeamView["limits"] }) {
  const { budget, limits } = props;
  return (
    <dl class="totals" id="limits">
      <div>
        <dt>Budget</dt>
        <dd>{budget ? `$${budget.limit_usd} per ${budget.period}` : "none"}</dd>
      </div>
      <div>
        <dt>Spent this period</dt>
        <dd>{budget ? (budget.spent_usd === null ? "unknown" : `$${budget.spent_usd}`) : "n/a"}</dd>
      </div>
      <div>
        <dt>Reserved (in flight)</dt>
        <dd>{budget?.reserved_usd ? `$${budget.reserved_usd}` : "n/a"}</dd>
      </div>
      <div>
        <dt>Resets</dt>
        <dd>{budget?.resets_at ?? "n/a"}</dd>
      </div>
      <div>
        <dt>Requests per minute</dt>
        <dd>{String(limits?.requests_per_minute ?? "no limit")}</dd>
      </div>
      <div>
        <dt>Tokens per minute</dt>
        <dd>{String(limits?.tokens_per_minute ?? "no limit")}</dd>
      </div>
    </dl>
  );
}

export function TeamPage(props: {
  operator: Operator;
  csrf: string;
  team: TeamView;
  keys: KeyView[];
  usage: UsageTotals[];
  range: RangeName;
}) {
  const usageOf = new Map(props.usage.map((row) => [row.key_id, row]));
  return (
    <Layout title={`Team ${props.team.name}`} operator={props.operator} csrf={props.csrf}>
      <p>
        Team id <code>{props.team.id}</code>
        {props.team.archived_at ? ` · archived ${props.team.archived_at}` : ""}
      </p>
      <h2>Budget and limits</h2>
      <Budget budget={props.team.budget} limits={props.team.limits} />
      <TableScroll label="Keys">
        <table id="team-keys">
          <caption>{`Keys (usage over the last ${props.range})`}</caption>
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
  range: RangeName;
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
      <h2>{`Usage over the last ${props.range}`}</h2>
      <Totals row={props.totals} />
      <ChartData id="chart-data" data={props.series} />
      <section class="charts" aria-label="Usage over time">
        <Chart id="chart-requests" label="Requests over time" series="requests" data={props.series} />
        <Chart id="chart-tokens" label="Tokens over time" series="tokens" data={props.series} />
      </section>
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
