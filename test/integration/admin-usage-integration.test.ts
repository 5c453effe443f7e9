import { describe, expect, it } from "vitest";
import type { UsageRecord } from "../../src/metering/usage-record";
import { adminCall, adminJson, allPages, expectAdminError, insertUsageEvents } from "../helpers/admin";
import { chat, seedKey, waitForUsage } from "../helpers/gateway";
import { usageRecord } from "../helpers/usage-record";

type Totals = Record<string, string | number | null>;
const GROUPS = ["team", "key", "model", "day", "hour", "outcome"] as const;
const GROUP_COLUMN = { team: "team_id", key: "key_id", model: "model", day: "day", hour: "hour", outcome: "outcome" } as const;

/** A record's value for a group, as the API is expected to answer it. */
function groupValue(e: UsageRecord, g: (typeof GROUPS)[number]): string | number | null {
  if (g === "day") return e.started_at.slice(0, 10);
  if (g === "hour") return `${e.started_at.slice(0, 13)}:00:00Z`;
  return e[GROUP_COLUMN[g]];
}
const TOTALS = [
  "requests",
  "prompt_tokens",
  "completion_tokens",
  "total_tokens",
  "cached_tokens",
  "reasoning_tokens",
  "cost_micro_usd",
  "unpriced_requests",
] as const;
const TOKEN_TOTALS = TOTALS.slice(1, 6);
const WEIRD_MODEL = 'weird, "quoted"\nmodel';
const DAY = 86_400_000;

let ledgers = 0;

/**
 * A small ledger in its own four-day window (tests share one D1): two teams,
 * three keys, four models (one null, one that needs CSV quoting), rows across
 * three UTC days, and three rows with the same started_at.
 */
async function seedLedger() {
  const n = ++ledgers;
  const start = Date.UTC(2020 + n, 2, 1);
  const at = (day: number, time: string) =>
    new Date(Date.parse(`${new Date(start + day * DAY).toISOString().slice(0, 10)}T${time}Z`)).toISOString();
  const teamA = `team_a_${n}`;
  const teamB = `team_b_${n}`;
  const keys = { a1: [teamA, `key_a1_${n}`], a2: [teamA, `key_a2_${n}`], b1: [teamB, `key_b1_${n}`] } as const;
  const rows: [string, keyof typeof keys, string | null, string, number][] = [
    ["r-c", "a1", "llama-3.3-70b", at(0, "10:00:00.000"), 1],
    ["r-a", "a1", "llama-3.3-70b", at(0, "10:00:00.000"), 2],
    ["r-b", "b1", "qwen-3-32b", at(0, "10:00:00.000"), 3],
    ["r-d", "a2", null, at(0, "23:59:59.999"), 4],
    ["r-e", "a2", WEIRD_MODEL, at(1, "00:00:00.000"), 5],
    ["r-f", "b1", WEIRD_MODEL, at(1, "08:30:00.000"), 6],
    ["r-g", "a1", "qwen-3-32b", at(1, "12:00:00.000"), 7],
    ["r-h", "b1", "llama-3.3-70b", at(2, "00:00:00.000"), 8],
    ["r-i", "a1", "llama-3.3-70b", at(2, "18:45:10.250"), 9],
  ];
  const records = rows.map(([id, key, model, startedAt, i]) =>
    usageRecord({
      request_id: `${n}-${id}`,
      team_id: keys[key][0],
      key_id: keys[key][1],
      model,
      started_at: startedAt,
      prompt_tokens: 100 * i + 7,
      completion_tokens: 31 * i,
      total_tokens: 131 * i + 7,
      cached_tokens: i % 3,
      reasoning_tokens: i % 2 === 0 ? 5 * i : 0,
      // Every third row's model had no price; the others cost what their tokens cost.
      cost_micro_usd: i % 3 === 0 ? null : 1_000_003 * i,
      price_id: i % 3 === 0 ? null : `price_${i}`,
      stream: i % 2 === 0,
      outcome: i === 4 ? "client_aborted" : "completed",
      usage_source: i === 4 ? "estimated" : "upstream",
    }),
  );
  await insertUsageEvents(records);
  const window = `from=${new Date(start).toISOString()}&to=${new Date(start + 4 * DAY).toISOString()}`;
  return { n, records, window, teamA, teamB, keys, at, start };
}

/** A record as the events listing shows it: with its team's and key's names (none for this ledger's made-up ids). */
const listed = (record: UsageRecord) => ({ ...record, team_name: null, key_name: null });

const byTime = (a: UsageRecord, b: UsageRecord) =>
  a.started_at < b.started_at
    ? -1
    : a.started_at > b.started_at
      ? 1
      : a.request_id < b.request_id
        ? -1
        : a.request_id > b.request_id
          ? 1
          : 0;

/** The totals the test expects, summed here from the events. */
function sumByGroups(events: UsageRecord[], groups: readonly (typeof GROUPS)[number][]): Map<string, Totals> {
  const out = new Map<string, Totals>();
  for (const e of events) {
    const group: Totals = {};
    for (const g of groups) group[GROUP_COLUMN[g]] = groupValue(e, g);
    const id = JSON.stringify(group);
    // Names stand beside ids; this ledger's teams and keys were never created, so they have none.
    const names = { ...(groups.includes("team") ? { team_name: null } : {}), ...(groups.includes("key") ? { key_name: null } : {}) };
    const row = out.get(id) ?? { ...group, ...names, ...Object.fromEntries(TOTALS.map((t) => [t, 0])) };
    row.requests = (row.requests as number) + 1;
    for (const t of TOKEN_TOTALS) row[t] = (row[t] as number) + (e[t as keyof UsageRecord] as number);
    // Unpriced records carry a null cost: counted apart, never summed as zero.
    if (e.cost_micro_usd === null || e.cost_micro_usd === undefined) row.unpriced_requests = (row.unpriced_requests as number) + 1;
    else row.cost_micro_usd = (row.cost_micro_usd as number) + e.cost_micro_usd;
    out.set(id, row);
  }
  return out;
}

function keyedByGroup(rows: Totals[], groups: readonly (typeof GROUPS)[number][]): Map<string, Totals> {
  return new Map(rows.map((row) => [JSON.stringify(Object.fromEntries(groups.map((g) => [GROUP_COLUMN[g], row[GROUP_COLUMN[g]]]))), row]));
}

async function summary(query: string): Promise<Totals[]> {
  return (await adminJson<{ data: Totals[] }>("GET", `/usage?${query}`)).data;
}

/** RFC 4180: fields separated by commas, records by CRLF, quoted fields may hold both and "" for a quote. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i++;
      while (i < text.length && !(text[i] === '"' && text[i + 1] !== '"')) {
        field += text[i];
        i += text[i] === '"' ? 2 : 1;
      }
      i++;
    } else if (text[i] === ",") {
      record.push(field);
      field = "";
      i++;
    } else if (text.startsWith("\r\n", i)) {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i += 2;
    } else {
      field += text[i];
      i++;
    }
  }
  if (field !== "" || record.length > 0) throw new Error("CSV does not end with CRLF");
  return records;
}

describe("GET /admin/usage/events", () => {
  it("returns the ledger rows as stored, ordered by started_at then request_id", async () => {
    const { records, window } = await seedLedger();
    const page = await adminJson<{ data: UsageRecord[]; next_cursor: string | null }>("GET", `/usage/events?${window}`);
    expect(page.next_cursor).toBeNull();
    // As stored, with the names of their team and key beside the ids (this ledger's teams and keys have none).
    expect(page.data).toEqual([...records].sort(byTime).map(listed));
    expect(page.data.slice(0, 3).map((e) => e.request_id.split("-").pop())).toEqual(["a", "b", "c"]);
    expect(typeof page.data[0]?.stream).toBe("boolean");
  });

  it("pages with limit=2 through every event exactly once in order, breaking started_at ties on request_id, stable when rows arrive after the first page", async () => {
    const { n, records, window, at, keys } = await seedLedger();
    const sameTime = at(0, "10:00:00.000");
    let late: UsageRecord[] = [];
    const { items, pageSizes } = await allPages<UsageRecord>(`/usage/events?${window}`, 2, async () => {
      late = [
        // Same instant as the first page's rows: one sorts before the cursor, one after it.
        usageRecord({ request_id: `${n}-r-0`, team_id: keys.a1[0], key_id: keys.a1[1], started_at: sameTime }),
        usageRecord({ request_id: `${n}-r-bb`, team_id: keys.a1[0], key_id: keys.a1[1], started_at: sameTime }),
        usageRecord({ request_id: `${n}-r-z`, team_id: keys.b1[0], key_id: keys.b1[1], started_at: at(3, "23:59:59.999") }),
      ];
      await insertUsageEvents(late);
    });
    const sorted = [...records].sort(byTime);
    expect(items.slice(0, 2)).toEqual(sorted.slice(0, 2).map(listed));
    // Keyset: the row that sorts before the cursor is not shown, nothing is shown twice.
    expect(items).toEqual([...sorted, ...late.slice(1)].sort(byTime).map(listed));
    expect(new Set(items.map((e) => e.request_id)).size).toBe(items.length);
    expect(pageSizes).toEqual([2, 2, 2, 2, 2, 1]);
  });

  it("filters by team_id, key_id, from (inclusive) and to (exclusive)", async () => {
    const { records, window, teamB, keys, at } = await seedLedger();
    const events = async (query: string) => (await allPages<UsageRecord>(`/usage/events?${query}`, 3)).items.map((e) => e.request_id);
    const ids = (pick: (r: UsageRecord) => boolean) =>
      records
        .filter(pick)
        .sort(byTime)
        .map((r) => r.request_id);
    expect(await events(`${window}&team_id=${teamB}`)).toEqual(ids((r) => r.team_id === teamB));
    expect(await events(`${window}&key_id=${keys.a2[1]}`)).toEqual(ids((r) => r.key_id === keys.a2[1]));
    const from = at(1, "00:00:00.000");
    const to = at(2, "00:00:00.000");
    expect(await events(`from=${from}&to=${to}`)).toEqual(ids((r) => r.started_at >= from && r.started_at < to));
    expect(await events(`from=${from}&to=${to}`)).toContain(records[4]?.request_id); // started exactly at `from`
    expect(await events(`from=${from}&to=${to}`)).not.toContain(records[7]?.request_id); // started exactly at `to`
    expect(await events(`from=${from}&to=${to}&team_id=${keys.a1[0]}&key_id=${keys.a1[1]}`)).toEqual(
      ids((r) => r.started_at >= from && r.started_at < to && r.key_id === keys.a1[1]),
    );
  });

  it("reads from and to given with a UTC offset as the same instant", async () => {
    const { records, at } = await seedLedger();
    const from = at(1, "00:00:00.000");
    const plusTwo = `${new Date(Date.parse(from) + 2 * 3_600_000).toISOString().slice(0, 19)}+02:00`;
    const query = new URLSearchParams({ from: plusTwo, to: at(1, "08:30:00.000") });
    const page = await adminJson<{ data: UsageRecord[] }>("GET", `/usage/events?${query}`);
    expect(page.data.map((e) => e.request_id)).toEqual([records[4]?.request_id]);
    expect((await summary(query.toString()))[0]).toMatchObject({ requests: 1, prompt_tokens: records[4]?.prompt_tokens });
  });
});

describe("GET /admin/usage", () => {
  it("has totals equal to the sums of the events exactly, for every combination of group_by", async () => {
    const { window } = await seedLedger();
    const events = (await allPages<UsageRecord>(`/usage/events?${window}`, 2)).items;
    expect(events).toHaveLength(9);
    const combos = Array.from({ length: 2 ** GROUPS.length }, (_, mask) => GROUPS.filter((_, bit) => mask & (1 << bit)));
    for (const groups of combos) {
      const query = groups.length > 0 ? `${window}&group_by=${groups.join(",")}` : window;
      const rows = await summary(query);
      const expected = sumByGroups(events, groups);
      expect(keyedByGroup(rows, groups), `group_by=${groups.join(",")}`).toEqual(expected);
      const nameColumns = groups.flatMap((g) => (g === "team" ? ["team_name"] : g === "key" ? ["key_name"] : []));
      for (const row of rows)
        expect(Object.keys(row).sort()).toEqual([...groups.map((g) => GROUP_COLUMN[g]), ...nameColumns, ...TOTALS].sort());
    }
  });

  it("applies team_id, key_id, from and to to the totals exactly as to the events", async () => {
    const { window, teamA, keys, at } = await seedLedger();
    const from = at(0, "23:59:59.999");
    const to = at(2, "00:00:00.000");
    for (const filter of [
      `${window}&team_id=${teamA}`,
      `${window}&key_id=${keys.b1[1]}`,
      `from=${from}&to=${to}`,
      `from=${from}&to=${to}&team_id=${teamA}`,
    ]) {
      const events = (await allPages<UsageRecord>(`/usage/events?${filter}`, 2)).items;
      expect(events.length, filter).toBeGreaterThan(0);
      for (const groups of [[], ["key"], ["model", "day"], ["hour", "outcome"]] as (typeof GROUPS)[number][][]) {
        const query = groups.length > 0 ? `${filter}&group_by=${groups.join(",")}` : filter;
        expect(keyedByGroup(await summary(query), groups), query).toEqual(sumByGroups(events, groups));
      }
    }
  });

  it("accepts group_by repeated, comma-separated, or both, with the same result", async () => {
    const { window } = await seedLedger();
    const comma = await summary(`${window}&group_by=team,model,day`);
    expect(comma.length).toBeGreaterThan(3);
    expect(await summary(`${window}&group_by=team&group_by=model&group_by=day`)).toEqual(comma);
    expect(await summary(`${window}&group_by=team&group_by=model,day`)).toEqual(comma);
    expect(await summary(`${window}&group_by=team,model,day,team`)).toEqual(comma);
  });

  it("groups by day as the UTC date of started_at, and by key within each team", async () => {
    const { window, at, keys } = await seedLedger();
    expect((await summary(`${window}&group_by=day`)).map((r) => [r.day, r.requests])).toEqual([
      [at(0, "00:00:00.000").slice(0, 10), 4],
      [at(1, "00:00:00.000").slice(0, 10), 3],
      [at(2, "00:00:00.000").slice(0, 10), 2],
    ]);
    const byKey = await summary(`${window}&group_by=team,key`);
    expect(byKey.map((r) => [r.team_id, r.key_id, r.requests])).toEqual([
      [keys.a1[0], keys.a1[1], 4],
      [keys.a2[0], keys.a2[1], 2],
      [keys.b1[0], keys.b1[1], 3],
    ]);
  });

  it("groups by hour as the UTC hour's start and by outcome, and pages through them with the cursor", async () => {
    const { window, at } = await seedLedger();
    const rows = await summary(`${window}&group_by=hour,outcome`);
    expect(rows.map((r) => [r.hour, r.outcome, r.requests])).toEqual([
      [`${at(0, "10:00:00.000").slice(0, 13)}:00:00Z`, "completed", 3],
      [`${at(0, "23:00:00.000").slice(0, 13)}:00:00Z`, "client_aborted", 1],
      [`${at(1, "00:00:00.000").slice(0, 13)}:00:00Z`, "completed", 1],
      [`${at(1, "08:00:00.000").slice(0, 13)}:00:00Z`, "completed", 1],
      [`${at(1, "12:00:00.000").slice(0, 13)}:00:00Z`, "completed", 1],
      [`${at(2, "00:00:00.000").slice(0, 13)}:00:00Z`, "completed", 1],
      [`${at(2, "18:00:00.000").slice(0, 13)}:00:00Z`, "completed", 1],
    ]);
    const paged = await allPages<Totals>(`/usage?${window}&group_by=hour,outcome`, 2);
    expect(paged.items).toEqual(rows);
  });

  it("answers one row of totals without group_by, and one row of zeros when nothing matches", async () => {
    const { window, records } = await seedLedger();
    expect(await summary(window)).toEqual([
      {
        requests: records.length,
        prompt_tokens: records.reduce((s, r) => s + r.prompt_tokens, 0),
        completion_tokens: records.reduce((s, r) => s + r.completion_tokens, 0),
        total_tokens: records.reduce((s, r) => s + r.total_tokens, 0),
        cached_tokens: records.reduce((s, r) => s + r.cached_tokens, 0),
        reasoning_tokens: records.reduce((s, r) => s + r.reasoning_tokens, 0),
        cost_micro_usd: records.reduce((s, r) => s + (r.cost_micro_usd ?? 0), 0),
        unpriced_requests: records.filter((r) => r.cost_micro_usd === null).length,
      },
    ]);
    expect(await summary("team_id=team_with_no_usage")).toEqual([Object.fromEntries(TOTALS.map((t) => [t, 0]))]);
    expect(await summary("team_id=team_with_no_usage&group_by=model")).toEqual([]);
  });

  it("returns format=csv as text/csv with a header row, CRLF line ends and RFC 4180 quoting, holding the JSON totals", async () => {
    const { window } = await seedLedger();
    const res = await adminCall("GET", `/usage?${window}&group_by=model,team&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
    const text = await res.text();
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual(["model", "team_id", "team_name", ...TOTALS]);
    const json = await summary(`${window}&group_by=model,team`);
    expect(rows).toEqual(json.map((row) => [row.model ?? "", row.team_id, row.team_name ?? "", ...TOTALS.map((t) => row[t])].map(String)));
    expect(text).toContain(`\r\n"weird, ""quoted""\nmodel",`);
    expect(text.split("\r\n")[1]).toMatch(/^,team_a_/); // a null model is an empty field
  });

  it("neutralises every text cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR) with a leading quote, then quotes it per RFC 4180", async () => {
    const n = ++ledgers;
    const hostile = [
      "=HYPERLINK(A1)+cmd|' /C calc'!A0",
      "+1+1",
      "-5",
      "@SUM(A1:A9)",
      "\t=1",
      "\r=1",
      '=1,"2"',
      "plain-model",
      "'=quoted already",
    ];
    const startedAt = new Date(Date.UTC(2010, 0, n)).toISOString();
    await insertUsageEvents(
      hostile.map((model, i) => usageRecord({ request_id: `${n}-csv-${i}`, team_id: `=team_${n}`, model, started_at: startedAt })),
    );
    const res = await adminCall("GET", `/usage?team_id=${encodeURIComponent(`=team_${n}`)}&group_by=team,model&format=csv`);
    const [, ...rows] = parseCsv(await res.text());
    const cells = new Map(rows.map((row) => [row[2], row]));
    expect([...cells.keys()].sort()).toEqual(
      [
        "'=HYPERLINK(A1)+cmd|' /C calc'!A0",
        "'+1+1",
        "'-5",
        "'@SUM(A1:A9)",
        "'\t=1",
        "'\r=1",
        '\'=1,"2"',
        "plain-model",
        "'=quoted already",
      ].sort(),
    );
    for (const row of rows) {
      expect(row[0]).toBe(`'=team_${n}`);
      // The totals are numbers, written as numbers.
      expect(row.slice(3).every((cell) => /^\d+$/.test(cell))).toBe(true);
    }
    // The JSON keeps the stored text as it is: only the CSV is for spreadsheets.
    const json = await summary(`team_id=${encodeURIComponent(`=team_${n}`)}&group_by=model`);
    expect(json.map((row) => row.model).sort()).toEqual([...hostile].sort());
  });

  it("exports a model name a caller sent to the data plane, even on a 403, as an inert text cell", async () => {
    const { key } = await seedKey({ models: ["llama-3.1-8b"] });
    const model = "=HYPERLINK(A1)+cmd|' /C calc'!A0";
    const res = await chat(key, { model, messages: [] });
    expect(res.status).toBe(403);
    const record = await waitForUsage(res.headers.get("x-request-id") as string);
    const csv = await adminCall("GET", `/usage?key_id=${record.key_id}&group_by=model&format=csv`);
    const text = await csv.text();
    expect(text).not.toMatch(/(^|[\r\n,])=HYPERLINK/);
    expect(parseCsv(text)[1]?.[0]).toBe(`'${record.model}`);
  });

  it("returns only the header row as CSV when nothing matches a grouped query", async () => {
    const res = await adminCall("GET", "/usage?team_id=team_with_no_usage&group_by=key,day&format=csv");
    expect(await res.text()).toBe(`key_id,key_name,day,${TOTALS.join(",")}\r\n`);
  });
});

describe("usage errors", () => {
  it("answers 400 naming the parameter for a bad group_by, format, from or to", async () => {
    const cases: [string, string][] = [
      ["group_by=week", "group_by"],
      ["group_by=team,week", "group_by"],
      ["group_by=team&group_by=Team", "group_by"],
      ["group_by=", "group_by"],
      ["format=xml", "format"],
      ["from=yesterday", "from"],
      ["to=2026-13-01T00:00:00Z", "to"],
      ["from=2026-03-01", "from"],
    ];
    for (const [query, param] of cases) {
      const body = await expectAdminError(await adminCall("GET", `/usage?${query}`), 400, { param, code: "invalid_request" });
      expect(body.error.message, query).not.toBe("");
    }
  });

  it("answers 400 naming limit or cursor for a bad page request on events", async () => {
    for (const limit of ["0", "1001", "two"]) {
      await expectAdminError(await adminCall("GET", `/usage/events?limit=${limit}`), 400, { param: "limit" });
    }
    await expectAdminError(await adminCall("GET", "/usage/events?cursor=not-a-cursor"), 400, { param: "cursor", code: "invalid_cursor" });
    await expectAdminError(await adminCall("GET", "/usage/events?from=nope"), 400, { param: "from" });
  });
});

describe("names beside ids, and keys across teams", () => {
  it("shows the team's and the key's names beside their ids in events, grouped totals and the CSV", async () => {
    const team = await adminJson<{ id: string; name: string }>("POST", "/teams", { name: `Finance ${crypto.randomUUID()}` });
    const res = await adminCall("POST", `/teams/${team.id}/keys`, { name: "reporting" });
    const key = (await res.json()) as { id: string; key: string };
    const record = usageRecord({ team_id: team.id, key_id: key.id, started_at: new Date(Date.UTC(2019, 0, 2)).toISOString() });
    await insertUsageEvents([record]);

    const events = await adminJson<{ data: Record<string, unknown>[] }>("GET", `/usage/events?key_id=${key.id}`);
    expect(events.data[0]).toMatchObject({ team_id: team.id, team_name: team.name, key_id: key.id, key_name: "reporting" });
    const totals = await adminJson<{ data: Record<string, unknown>[] }>("GET", `/usage?team_id=${team.id}&group_by=team,key`);
    expect(totals.data).toEqual([
      expect.objectContaining({ team_id: team.id, team_name: team.name, key_id: key.id, key_name: "reporting" }),
    ]);
    const csv = await (await adminCall("GET", `/usage?team_id=${team.id}&group_by=key&format=csv`)).text();
    expect(csv.split("\r\n")[1]).toMatch(new RegExp(`^${key.id},reporting,1,`));
  });

  it("lists keys across teams, filtered by team, status and the start of the display prefix", async () => {
    const teamA = await adminJson<{ id: string; name: string }>("POST", "/teams", { name: `A ${crypto.randomUUID()}` });
    const teamB = await adminJson<{ id: string; name: string }>("POST", "/teams", { name: `B ${crypto.randomUUID()}` });
    const mint = async (teamId: string, name: string) =>
      (await (await adminCall("POST", `/teams/${teamId}/keys`, { name })).json()) as { id: string; key: string; prefix: string };
    const a1 = await mint(teamA.id, "a1");
    const a2 = await mint(teamA.id, "a2");
    const b1 = await mint(teamB.id, "b1");
    await adminCall("DELETE", `/keys/${a2.id}`);

    const ofA = await adminJson<{ data: { id: string; team_name: string; status: string }[] }>("GET", `/keys?team_id=${teamA.id}`);
    expect(ofA.data.map((k) => [k.id, k.team_name, k.status])).toEqual([
      [a1.id, teamA.name, "active"],
      [a2.id, teamA.name, "revoked"],
    ]);
    const revoked = await adminJson<{ data: { id: string }[] }>("GET", `/keys?team_id=${teamA.id}&status=revoked`);
    expect(revoked.data.map((k) => k.id)).toEqual([a2.id]);
    const byPrefix = await adminJson<{ data: { id: string }[] }>("GET", `/keys?prefix=${b1.prefix}`);
    expect(byPrefix.data.map((k) => k.id)).toEqual([b1.id]);
    const all = await adminJson<{ data: { id: string }[] }>("GET", "/keys?limit=1000");
    expect(all.data.map((k) => k.id)).toEqual(expect.arrayContaining([a1.id, a2.id, b1.id]));
    const listing = JSON.stringify(all);
    for (const secret of [a1.key, a2.key, b1.key]) expect(listing).not.toContain(secret);
    await expectAdminError(await adminCall("GET", "/keys?prefix=tgw%20x"), 400, { code: "invalid_request", param: "prefix" });
  });
});
