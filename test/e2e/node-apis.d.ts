/**
 * The project has no @types/node (its code runs in workerd), so the root `tsc
 * --noEmit` knows no `node:` modules. These are the Node APIs the e2e suite
 * calls, typed as far as it uses them.
 */
declare module "node:child_process" {
  export function execFile(
    file: string,
    args: readonly string[],
    options: { encoding: "buffer"; timeout?: number; maxBuffer?: number; env?: Record<string, string | undefined> },
    callback: (error: (Error & { code?: number | string | null }) | null, stdout: Uint8Array, stderr: Uint8Array) => void,
  ): unknown;
}

declare module "node:http" {
  export interface Server {
    listen(port: number, host: string, listening: () => void): Server;
    address(): { port: number } | string | null;
    close(closed: () => void): Server;
  }
  export function createServer(
    handler: (
      request: { url?: string },
      response: { writeHead(status: number, headers: Record<string, string>): unknown; end(body: string): unknown },
    ) => void,
  ): Server;
}

declare module "node:fs/promises" {
  export function readFile(path: string | URL, encoding: "utf8"): Promise<string>;
}

/** Node's ES module metadata (the suite runs in Node, not in workerd). */
interface ImportMeta {
  url: string;
}
