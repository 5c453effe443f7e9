/** Types of deploy-copy.mjs for the TypeScript tests (the project has no @types/node). */

export interface DeployRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function projectWranglerToml(): Promise<string>;
export function deployInCopy(toml: string, args?: string[]): Promise<DeployRun>;
