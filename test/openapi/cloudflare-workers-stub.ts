/**
 * Stands in for `cloudflare:workers` when the admin app is loaded in plain Node to print its
 * OpenAPI document (vitest.openapi.config.ts): the document never constructs a Durable Object.
 */
export class DurableObject {}
