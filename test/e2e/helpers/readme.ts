/**
 * The README's shell examples, run as written against the gateway under test: only the
 * gateway URL is swapped, and the ids an example shows as `team_01a2…` (`key_01a2…`,
 * `op_01a2…`) become the ids its own earlier commands answered with, as a reader would
 * paste them. Each curl runs with --fail-with-body, so a refused request fails the test.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";

/** Placeholder id in the README → the id prefix of the answer that gives it. */
const PLACEHOLDERS: Record<string, string> = { "team_01a2…": "team_", "key_01a2…": "key_", "op_01a2…": "op_" };
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

export interface ReadmeStep {
  /** The command as the README has it (continuation lines joined). */
  command: string;
  /** The README's comment lines right after it (`# {"id":…}`), without the `# `. */
  shown: string[];
  stdout: string;
}

/** The text of the README section under `heading` (a whole `## …` or `### …` line), up to the next heading. */
export async function readmeSection(heading: string): Promise<string> {
  const readme = await readFile(new URL("../../../README.md", import.meta.url), "utf8");
  const start = readme.split("\n").indexOf(heading);
  if (start < 0) throw new Error(`README.md has no "${heading}" heading`);
  const rest = readme.split("\n").slice(start + 1);
  // A `# …` line inside a fenced block is a shell comment, not a heading.
  let fenced = false;
  const end = rest.findIndex((line) => {
    if (line.startsWith("```")) fenced = !fenced;
    return !fenced && /^#{1,3} /.test(line);
  });
  return rest.slice(0, end < 0 ? undefined : end).join("\n");
}

/** The section's fenced `sh` blocks. */
export function shBlocks(section: string): string[] {
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((match) => match[1] as string);
}

/** Runs `script` with `sh -c`, the environment plus `env`. */
export function runScript(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const decoder = new TextDecoder();
  return new Promise((resolve) => {
    execFile("sh", ["-c", script], { encoding: "buffer", timeout: 30_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) });
    });
  });
}

/** Lines with their `\` continuations joined; each with the comment lines that follow it. */
function parse(block: string): { assignments: string[]; commands: { command: string; shown: string[] }[] } {
  const assignments: string[] = [];
  const commands: { command: string; shown: string[] }[] = [];
  const lines = block.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    while (line.endsWith("\\") && i + 1 < lines.length) line = `${line.slice(0, -1)}${lines[++i]?.trimStart() ?? ""}`;
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      commands.at(-1)?.shown.push(line.replace(/^# ?/, ""));
      continue;
    }
    if (ASSIGNMENT.test(line)) assignments.push(line);
    else commands.push({ command: line, shown: [] });
  }
  return { assignments, commands };
}

/**
 * Runs `block` one command at a time: its assignments first (with `GW=<readmeUrl>` pointed at
 * `gatewayUrl`), then each command with the placeholders its earlier answers resolved.
 */
export async function runReadmeBlock(
  block: string,
  options: { readmeUrl: string; gatewayUrl: string; env: Record<string, string> },
): Promise<ReadmeStep[]> {
  const { assignments, commands } = parse(block);
  const gw = `GW=${options.readmeUrl}`;
  if (!assignments.includes(gw)) throw new Error(`the README's block does not set ${gw}`);
  const preamble = assignments.map((line) => (line === gw ? `GW=${options.gatewayUrl}` : line)).join("\n");
  const ids = new Map<string, string>();
  const steps: ReadmeStep[] = [];
  for (const { command, shown } of commands) {
    let resolved = command;
    for (const placeholder of Object.keys(PLACEHOLDERS)) {
      if (!resolved.includes(placeholder)) continue;
      const id = ids.get(placeholder);
      if (id === undefined) throw new Error(`"${command}" uses ${placeholder} before any command answered one`);
      resolved = resolved.replaceAll(placeholder, id);
    }
    resolved = resolved.replaceAll("curl -s ", "curl -s --fail-with-body -w '\\n' ");
    const run = await runScript(`set -e\n${preamble}\n${resolved}`, options.env);
    if (run.code !== 0) throw new Error(`README command failed (${run.code}): ${command}\n${run.stderr}\n${run.stdout}`);
    steps.push({ command, shown, stdout: run.stdout });
    const id = /^\{"id":"([^"]+)"/.exec(run.stdout)?.[1];
    for (const [placeholder, prefix] of Object.entries(PLACEHOLDERS)) {
      if (id?.startsWith(prefix) && !ids.has(placeholder)) ids.set(placeholder, id);
    }
  }
  return steps;
}

/** Every `"field":` the README shows after a command, missing from what the command answered. */
export function fieldsNotAnswered(step: ReadmeStep): string[] {
  const shownFields = step.shown.flatMap((line) => [...line.matchAll(/"([a-z_]+)":/g)].map((match) => match[1] as string));
  return [...new Set(shownFields)].filter((field) => !step.stdout.includes(`"${field}":`));
}
