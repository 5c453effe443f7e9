/**
 * The operator CLI (scripts/admin-cli.mjs) run as an operator runs it: its own Node
 * process, pointed at the gateway under test through TGW_URL and TGW_ADMIN_TOKEN.
 */
import { execFile } from "node:child_process";
import { e2e } from "./env";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const decoder = new TextDecoder();
  return new Promise((resolve) => {
    execFile(
      "node",
      ["scripts/admin-cli.mjs", ...args],
      { encoding: "buffer", timeout: 30_000, env: { ...process.env, TGW_URL: e2e.gatewayUrl, TGW_ADMIN_TOKEN: e2e.adminToken, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) });
      },
    );
  });
}

/** The value on a `name  value` line of a details block (`teams show`, `health`). */
export function detail(stdout: string, name: string): string | undefined {
  const line = stdout.split("\n").find((l) => l.startsWith(`${name} `));
  return line?.slice(name.length).trim();
}
