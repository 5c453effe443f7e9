import { OUTCOMES, type Outcome } from "../metering/usage-record";

/**
 * What each chart draws: its lines, each a column of the page's series. One table for the
 * server (the chart's text alternative, a table of the same numbers) and for dashboard.js,
 * which reads it from the page's JSON block.
 */
export interface ChartLine {
  label: string;
  /** The column of the series this line draws. */
  key: string;
  stroke: string;
}

/** Outcomes whose request failed upstream of the client: a bad upstream hour shows as these. */
export const FAILED_OUTCOMES: readonly Outcome[] = ["upstream_error", "upstream_unreachable", "interrupted"];

const OUTCOME_COLORS: Record<Outcome, string> = {
  completed: "#15803d",
  client_aborted: "#2563eb",
  upstream_error: "#dc2626",
  upstream_unreachable: "#7c2d12",
  rejected: "#d97706",
  interrupted: "#6b7280",
};

export const CHART_LINES = {
  requests: [{ label: "Requests", key: "requests", stroke: "#2563eb" }],
  tokens: [
    { label: "Prompt tokens", key: "prompt", stroke: "#15803d" },
    { label: "Completion tokens", key: "completion", stroke: "#ea580c" },
    { label: "Cached tokens", key: "cached", stroke: "#0891b2" },
    { label: "Reasoning tokens", key: "reasoning", stroke: "#9333ea" },
  ],
  cost_usd: [{ label: "Cost (USD)", key: "cost_usd", stroke: "#9333ea" }],
  error_rate: [
    { label: "Failed upstream (%)", key: "failed_pct", stroke: "#dc2626" },
    { label: "Rejected (%)", key: "rejected_pct", stroke: "#d97706" },
  ],
  outcomes: OUTCOMES.map((outcome) => ({ label: outcome, key: outcome, stroke: OUTCOME_COLORS[outcome] })),
} satisfies Record<string, ChartLine[]>;

export type ChartName = keyof typeof CHART_LINES;
