#!/usr/bin/env node
/**
 * `npm run admin -- <command>`: the operator's command line for the gateway's admin API.
 * `npm run admin -- help` lists the commands. Plain ESM and Node built-ins only, so the
 * system Node (20 or newer) runs it as well as the project's Node 22.
 */
import { run } from "./lib/admin-commands.mjs";

// `… | head` closes stdout early: stop quietly instead of throwing EPIPE.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb",
});
