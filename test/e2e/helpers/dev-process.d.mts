/** Types of dev-process.mjs for the TypeScript tests (the project has no @types/node). */

export interface DevProcess {
  /** npm's pid, which is also its process group's id. */
  pid: number;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  logFile: string;
  /** The temp directory: the project's copy (`app`) and its --persist-to state. */
  root: string;
  /** The copy of the project it runs in (its .dev.vars, .wrangler/demo-key.txt). */
  app: string;
}

export interface TreeProcess {
  pid: number;
  ppid: number;
  pgid: number;
  command: string;
}

/** `again`: a stopped start, to start once more in its copy, on its state; `env`: added to npm's environment. */
export function startDev(timeoutMs: number, options?: { again?: DevProcess; env?: Record<string, string> }): Promise<DevProcess>;
export function processTree(rootPid: number): TreeProcess[];
export function survivors(processes: TreeProcess[], timeoutMs: number): Promise<string[]>;
export function portIsFree(port: number): Promise<boolean>;
export function cleanUpDev(): Promise<void>;
