/**
 * Stands in for src/metering/producer.ts in the gw-no-started worker (esbuild aliases
 * the meter's `./producer` here): final records go to the ledger as built, the started
 * note goes nowhere. Comparing that worker with the gateway prices the note whole: the
 * queue send on the request path, the local broker, and the consumer's D1 insert and
 * delete, all of which run in the one workerd the bench measures.
 */
import type { Env } from "../../src/env";
import type { StartedNote } from "../../src/metering/usage-record";

export { recordUsage } from "../../src/metering/producer";

export async function noteStarted(_env: Env, _note: StartedNote): Promise<void> {}
