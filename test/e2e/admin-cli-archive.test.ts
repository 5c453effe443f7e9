/**
 * Issue 15: `teams archive TEAM_ID` through the operator CLI, against the running gateway:
 * the team's keys stop working, `teams list` leaves it out unless --include-archived, and a
 * second archive is the API's 409 on one line.
 */
import { expect, it } from "vitest";
import { createTeamAndKey } from "./helpers/admin";
import { cli } from "./helpers/cli";
import { GATEWAY_V1 } from "./helpers/env";

async function modelsStatus(key: string): Promise<number> {
  const res = await fetch(`${GATEWAY_V1}/models`, { headers: { authorization: `Bearer ${key}` } });
  await res.body?.cancel();
  return res.status;
}

it("archives a team: its key is refused, teams list hides it, --include-archived shows when, a second archive exits 1", async () => {
  const key = await createTeamAndKey("cli-archive");
  expect(await modelsStatus(key.key)).toBe(200);

  const archived = await cli(["teams", "archive", key.teamId]);

  expect(archived.code, archived.stderr).toBe(0);
  expect(archived.stdout).toContain(`(${key.teamId}) at `);
  expect(archived.stdout).toContain("all its keys are revoked");
  // wrangler dev is one isolate: the archive was handled where the key is cached.
  expect(await modelsStatus(key.key)).toBe(401);

  const listed = await cli(["teams", "list", "--json"]);
  const all = await cli(["teams", "list", "--include-archived"]);
  const row = all.stdout.split("\n").find((line) => line.startsWith(key.teamId)) ?? "";
  expect((JSON.parse(listed.stdout) as { data: { id: string }[] }).data.map((t) => t.id)).not.toContain(key.teamId);
  expect(all.stdout.split("\n")[0]).toContain("ARCHIVED");
  expect(row.match(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/g), row).toHaveLength(2);

  const again = await cli(["teams", "archive", key.teamId]);
  expect(again.code).toBe(1);
  expect(again.stderr).toMatch(/^error: 409 team_archived: /);
});
