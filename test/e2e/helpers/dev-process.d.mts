/** Types of dev-process.mjs for the TypeScript tests (the project has no @types/node). */

export interface DevProcess {
  /** npm's pid, which is also its process group's id. */
  pid: number;
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
  logFile: string;
}

export interface TreeProcess {
  pid: number;
  ppid: number;
  pgid: number;
  command: string;
}

export function startDev(timeoutMs: number): Promise<DevProcess>;
export function processTree(rootPid: number): TreeProcess[];
export function survivors(processes: TreeProcess[], timeoutMs: number): Promise<string[]>;
export function portIsFree(port: number): Promise<boolean>;
export function cleanUpDev(): Promise<void>;
