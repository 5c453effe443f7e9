import type { UsageTotals } from "../db/usage-summary";
import { formatUsd } from "./overview-data";

/** A usage table: one row per group, the API's figures as they are (names as text, escaped by JSX). */
export function UsageTable(props: { caption: string; rows: UsageTotals[]; group: "team" | "model" | "key"; id?: string }) {
  const label = props.group === "team" ? "Team" : props.group === "model" ? "Model" : "Key";
  return (
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
  return (
    <dl class="totals" id="totals">
      {figures.map(([name, value]) => (
        <div>
          <dt>{name}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

/** A chart's place: dashboard.js draws into it from the JSON block; the figure's label says what it shows. */
export function Chart(props: { id: string; label: string; series: string }) {
  return (
    <figure class="chart">
      <figcaption id={`${props.id}-label`}>{props.label}</figcaption>
      <div class="chart-area" id={props.id} data-series={props.series} role="img" aria-labelledby={`${props.id}-label`} />
    </figure>
  );
}
