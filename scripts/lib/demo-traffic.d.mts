/** Types of demo-traffic.mjs for the TypeScript tests. */
import type { UsageRecord } from "../../src/metering/usage-record";

export const HOUR_MS: number;
export const BAD_UPSTREAM_HOUR: number;
export function demoUuidV7(ms: number, counter: number, random: () => number): string;
export function demoObjectId(ms: number, name: string): string;
export function requestsInHour(hourStart: number): number;
export function demoRequest(hourStart: number, index: number): { record: Omit<UsageRecord, "team_id">; recordedAt: number };
