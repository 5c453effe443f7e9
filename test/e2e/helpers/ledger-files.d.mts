/** Types of ledger-files.mjs for the TypeScript tests (the project has no @types/node). */
import type { GatewayState } from "./gateway-process.mjs";

export function seedLedgerRows(state: GatewayState, rows: Record<string, string | number | null>[]): Promise<void>;
export function copyOutObjects(state: GatewayState, keys: string[], dir: string): Promise<string[]>;
export function fileSha256(path: string): Promise<string>;
export function gzipLines(path: string): Promise<string[]>;
