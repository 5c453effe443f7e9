/**
 * The Node APIs the browser test calls beyond test/e2e/node-apis.d.ts (the project has no
 * @types/node: its code runs in workerd). Declarations of the same module merge.
 */
declare module "node:fs/promises" {
  export function mkdir(path: string, options: { recursive: true }): Promise<string | undefined>;
  export function writeFile(path: string, data: string): Promise<void>;
}

declare module "node:path" {
  export function join(...parts: string[]): string;
}
