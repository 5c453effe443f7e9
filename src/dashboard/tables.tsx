import type { UsageTotals } from "../db/usage-summary";
import { CHART_LINES, type ChartName } from "./chart-lines";
import { ChartData } from "./layout";
import { formatUsd, type Series } from "./overview-data";
import { TableScroll } from "./table-scroll";

/** A usage table: one row per group, the API's figures as they are (names as text, escaped by JSX). */
export function UsageTable(props: { caption: string; rows: UsageTotals[]; group: "team" | "model" | "key"; id?: string }) {
  const label = props.group === "team" ? "Team" : props.group === "model" ? "Model" : "Key";
  return (
    <TableScroll label={props.caption}>
      <table id={props.id}>
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">{label}</th>
            <th scope="col">Requests</th>
            <th scope="col">Prompt tokens</th>
            <th scope="col">Completion tokens</th>
            <th scope="col">Cached tokens</th>
            <th scope="col">Reasoning tokens</th>
            <th scope="col">Total tokens</th>
            <th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <tr>
              <td colspan={8}>No usage in this range.</td>
            </tr>
          ) : (
            props.rows.map((row) => (
              <tr>
                <th scope="row">
                  <GroupCell row={row} group={props.group} />
                </th>
                <td data-col="requests">{row.requests}</td>
                <td data-col="prompt_tokens">{row.prompt_tokens}</td>
                <td data-col="completion_tokens">{row.completion_tokens}</td>
                <td data-col="cached_tokens">{row.cached_tokens}</td>
                <td data-col="reasoning_tokens">{row.reasoning_tokens}</td>
                <td data-col="total_tokens">{row.total_tokens}</td>
                <td data-col="cost_micro_usd" data-micro-usd={String(row.cost_micro_usd)}>
                  {formatUsd(row.cost_micro_usd)}
                  {row.unpriced_requests > 0 ? ` (${row.unpriced_requests} unpriced)` : ""}
                </td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </TableScroll>
  );
}

function GroupCell(props: { row: UsageTotals; group: "team" | "model" | "key" }) {
  const { row, group } = props;
  if (group === "model") return <>{row.model ?? "(no model)"}</>;
  if (group === "team") {
    const id = row.team_id ?? "";
    return <a href={`/dashboard/teams/${encodeURIComponent(id)}`}>{row.team_name ?? id}</a>;
  }
  const id = row.key_id ?? "";
  return <a href={`/dashboard/keys/${encodeURIComponent(id)}`}>{row.key_name ?? id}</a>;
}

/** The headline figures of one totals row. */
export function Totals(props: { row: UsageTotals | undefined }) {
  const row = props.row;
  const figures: [string, string][] = [
    ["Requests", String(row?.requests ?? 0)],
    ["Total tokens", String(row?.total_tokens ?? 0)],
    ["Prompt tokens", String(row?.prompt_tokens ?? 0)],
    ["Completion tokens", String(row?.completion_tokens ?? 0)],
    ["Cached tokens", String(row?.cached_tokens ?? 0)],
    ["Reasoning tokens", String(row?.reasoning_tokens ?? 0)],
    ["Cost", formatUsd(row?.cost_micro_usd ?? 0)],
  ];
  return <Figures id="totals" figures={figures} />;
}

/** Named figures as a description list of cards: the totals, a budget. */
export function Figures(props: { id: string; figures: [string, string][] }) {
  return (
    <dl class="totals" id={props.id}>
      {props.figures.map(([name, value]) => (
        <div>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A bucket's start as the chart's table names it, as GET /admin/usage names the group: the UTC hour, or the UTC day. */
function bucketLabel(seconds: number, bucket: Series["bucket"]): string {
  const iso = new Date(seconds * 1000).toISOString();
  return bucket === "hour" ? `${iso.slice(0, 13)}:00:00Z` : iso.slice(0, 10);
}

/**
 * A chart's place: dashboard.js draws into it from the JSON block. A canvas says nothing to a
 * screen reader, so the figure also holds its numbers as a table (behind a disclosure).
 */
export function Chart(props: { id: string; label: string; series: string; data?: Series }) {
  const lines = props.data?.lines[props.series] ?? CHART_LINES[props.series as ChartName] ?? [];
  const data = props.data;
  const notDrawn = data?.notDrawn?.[props.series];
  if (notDrawn !== undefined) {
    return (
      <figure class="chart">
        <figcaption>{props.label}</figcaption>
        <p class="not-drawn">{notDrawn}</p>
      </figure>
    );
  }
  return (
    <figure class="chart">
      <figcaption id={`${props.id}-label`}>{props.label}</figcaption>
      <div class="chart-area" id={props.id} data-series={props.series} role="img" aria-labelledby={`${props.id}-label`} />
      {data ? (
        <details>
          <summary>{`${props.label}: the numbers`}</summary>
          <TableScroll label={props.label}>
            <table class="chart-table" id={`${props.id}-table`}>
              <caption class="visually-hidden">{props.label}</caption>
              <thead>
                <tr>
                  <th scope="col">{data.bucket === "hour" ? "Hour (UTC)" : "Day (UTC)"}</th>
                  {lines.map((line) => (
                    <th scope="col">{line.label}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.t.map((t, i) => (
                  <tr>
                    <th scope="row">{bucketLabel(t, data.bucket)}</th>
                    {lines.map((line) => (
                      <td data-col={line.key}>{String(data.columns[line.key]?.[i] ?? 0)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </details>
      ) : null}
    </figure>
  );
}

/** A page's charts over time, from one series: the overview's seven, or (overview false) a key's four. */
export function UsageCharts(props: { series: Series; overview?: boolean }) {
  const per = props.series.bucket === "hour" ? "per hour" : "per day";
  return (
    <>
      <ChartData id="chart-data" data={props.series} />
      <section class="charts" aria-label="Usage over time">
        <Chart id="chart-requests" label={`Requests ${per}`} series="requests" data={props.series} />
        <Chart id="chart-tokens" label={`Tokens ${per}`} series="tokens" data={props.series} />
        <Chart id="chart-cost" label={`Cost ${per} (USD)`} series="cost_usd" data={props.series} />
        <Chart id="chart-errors" label={`Error rate ${per} (% of requests)`} series="error_rate" data={props.series} />
        {props.overview ? (
          <>
            <Chart id="chart-outcomes" label={`Requests by outcome ${per}`} series="outcomes" data={props.series} />
            <Chart id="chart-cost-by-team" label={`Cost ${per} by team (USD)`} series="cost_by_team" data={props.series} />
            <Chart id="chart-requests-by-model" label={`Requests ${per} by model`} series="requests_by_model" data={props.series} />
          </>
        ) : null}
      </section>
    </>
  );
}
