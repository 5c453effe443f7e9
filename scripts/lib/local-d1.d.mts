/** Types of local-d1.mjs for the TypeScript tests. */
import type { ExecuteStatements } from "./demo-usage.mjs";

export function localD1(rootDir: string, persistArgs?: string[]): ExecuteStatements;
