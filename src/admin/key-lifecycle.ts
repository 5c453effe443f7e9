import { createRoute } from "@hono/zod-openapi";
import { displayPrefix, generateKey, hashKey } from "../auth/key-format";
import { keyHashes, revokeKeyStatement, rotateKeyStatement } from "../db/keys";
import { forgetAll } from "./key-cache";
import { changeLiveKey, liveKey } from "./live-key";
import { adminRouter, ERRORS, json, jsonBody, nowIso } from "./routes-common";
import { KeyCreatedSchema, KeyParam, KeySchema, RotateBody } from "./schemas";
import { keyView } from "./views";

/** A key's secret replaced, or the key revoked: each evicts the key's cached secrets at once. */
export const keyLifecycle = adminRouter();

keyLifecycle.openapi(
  createRoute({
    method: "post",
    path: "/keys/{key_id}/rotate",
    operationId: "rotateKey",
    summary: "Replace a key's secret; the old one works for grace_seconds more",
    description:
      "The key keeps its id. The replaced secret is then refused as `api_key_rotated`. Only one previous secret is kept: rotating again during a grace period stops the older secret at once, and it is then unknown (`invalid_api_key`).",
    request: { params: KeyParam, ...jsonBody(RotateBody, false) },
    responses: {
      201: json(KeyCreatedSchema, "The key with its new secret"),
      400: ERRORS[400],
      401: ERRORS[401],
      404: ERRORS[404],
      409: ERRORS[409],
    },
  }),
  async function rotateKey(c) {
    const { key_id } = c.req.valid("param");
    // With no body (or no content-type) the validator hands over nothing: the default grace of 0 then.
    const grace_seconds = (c.req.valid("json") as { grace_seconds?: number } | undefined)?.grace_seconds ?? 0;
    const before = await liveKey(c, key_id);
    const hashes = await keyHashes(c.env.DB, key_id);
    const secret = generateKey();
    const now = nowIso();
    // With no grace period the old secret stops now; its hash is kept, to answer it as rotated.
    const graceEnds = new Date(Date.parse(now) + grace_seconds * 1000).toISOString();
    const after = keyView({ ...before, prefix: displayPrefix(secret), previous_key_expires_at: graceEnds, updated_at: now });
    await changeLiveKey(
      c,
      key_id,
      rotateKeyStatement(c.env.DB, key_id, { keyHash: await hashKey(secret), prefix: after.prefix, previousExpiresAt: graceEnds }, now),
      { action: "key.rotate", targetType: "key", targetId: key_id, before: keyView(before), after },
    );
    forgetAll(hashes);
    return c.json({ ...after, key: secret }, 201);
  },
);

keyLifecycle.openapi(
  createRoute({
    method: "delete",
    path: "/keys/{key_id}",
    operationId: "revokeKey",
    summary: "Revoke a key at once (kept for the record)",
    request: { params: KeyParam },
    responses: { 200: json(KeySchema, "The revoked key"), 401: ERRORS[401], 404: ERRORS[404], 409: ERRORS[409] },
  }),
  async function revokeKey(c) {
    const { key_id } = c.req.valid("param");
    const before = await liveKey(c, key_id);
    const hashes = await keyHashes(c.env.DB, key_id);
    const now = nowIso();
    const after = keyView({ ...before, revoked_at: now, updated_at: now });
    await changeLiveKey(c, key_id, revokeKeyStatement(c.env.DB, key_id, now), {
      action: "key.revoke",
      targetType: "key",
      targetId: key_id,
      before: keyView(before),
      after,
    });
    forgetAll(hashes);
    return c.json(after, 200);
  },
);
