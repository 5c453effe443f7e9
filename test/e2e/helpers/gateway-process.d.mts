/** Types of gateway-process.mjs for the TypeScript tests (the project has no @types/node). */

export interface GatewayState {
  /** The worker's snapshot `wrangler dev` runs from. */
  app: string;
  /** --persist-to: D1 (and the rest of the local state) survives a restart here. */
  persistDir: string;
}

export interface StopResult {
  signal: "SIGKILL" | "SIGTERM";
  /** The group outlived the grace period after a gentler signal and was SIGKILLed. */
  forced: boolean;
}

export interface GatewayProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  /** wrangler's pid, which is also its process group's id. */
  pid: number;
  logFile: string;
  stop(signal: "SIGKILL" | "SIGTERM", graceMs?: number): Promise<StopResult>;
}

export function prepareGatewayState(): Promise<GatewayState>;
export function startGateway(state: GatewayState, vars: Record<string, string>): Promise<GatewayProcess>;
export function cleanUpGateways(): Promise<void>;

export interface MockRequest {
  id: string | null;
  path: string;
  events: number;
  aborted: boolean;
  outcome: "pending" | "complete" | "client-closed" | "dropped" | "error-event";
}

export function startMockTensoras(options?: {
  port?: number;
  host?: string;
  apiKey?: string;
  keepRaw?: boolean;
  log?: boolean;
}): Promise<{ url: string; port: number; close: () => Promise<void>; requests: MockRequest[] }>;
