/** Types of demo-usage.mjs for the TypeScript tests. */
import type { PricedRecord } from "../../src/metering/usage-record";

/** Runs SQL statements in order; resolves with each statement's rows. */
export type ExecuteStatements = (statements: string[]) => Promise<Record<string, unknown>[][]>;

export interface DemoKey {
  id: string;
  name: string;
  revoked?: boolean;
  limits?: { requests_per_minute: number | null; tokens_per_minute: number | null };
}

export interface DemoTeam {
  id: string;
  name: string;
  keys: DemoKey[];
}

export interface DemoPrice {
  model: string;
  /** USD per million tokens: input, cached input, output. */
  usd: [string, string, string];
  maxOutput: number;
  context: number;
}

export interface DemoState {
  prices: Record<string, unknown>[];
  keys: Record<string, unknown>[];
}

export type DemoRecord = PricedRecord & { recorded_at: number };

export const DEMO_TEAMS: DemoTeam[];
export const DEMO_PRICES: DemoPrice[];
export const DEMO_STATE_QUERIES: string[];
export function demoSetupStatements(now?: number): Promise<string[]>;
export function demoUsageStatements(state: DemoState, now?: number): { statements: string[]; records: DemoRecord[] };
export function seedDemoUsage(execute: ExecuteStatements, now?: number): Promise<{ records: number }>;
