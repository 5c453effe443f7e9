/**
 * Backoff for usage messages that failed to write: 10 s, 20 s, 40 s … capped at 15 min.
 * With the consumer's 10 retries a D1 outage of about an hour is ridden out before a
 * message goes to the dead-letter queue (immediate retries burned all 10 in seconds).
 */
const FIRST_DELAY_SECONDS = 10;
const MAX_DELAY_SECONDS = 15 * 60;

/** Delay before the next attempt of a message that has been tried `attempts` times (1 = first delivery). */
export function retryDelaySeconds(attempts: number): number {
  const exponent = Math.max(0, Math.min(attempts - 1, 16));
  return Math.min(FIRST_DELAY_SECONDS * 2 ** exponent, MAX_DELAY_SECONDS);
}
