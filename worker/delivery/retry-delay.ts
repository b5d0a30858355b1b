// When to try a failed delivery again: a pure function of the webhook's schedule,
// the attempts made so far and what the receiver said.


/** Each scheduled delay is spread by ±20 % so a burst of failures does not retry in lockstep. */
export const RETRY_JITTER_RATIO = 0.2;

/** A Retry-After shorter than this is raised to it: "Retry-After: 0" must not make us hammer. */
export const MIN_RETRY_AFTER_MS = 1_000;

/** A Retry-After longer than this is cut to it: a receiver must not park a delivery for days. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1_000;

/** Statuses whose Retry-After header we honour (RFC 9110 §10.2.3). */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

/**
 * Milliseconds to wait before the next attempt, or null when the schedule is used up.
 *
 * `failedAttempts` counts the attempts made so far (all failed), so it is at least 1;
 * the next delay is `scheduleSeconds[failedAttempts - 1]`, jittered.
 *
 * On 429 or 503 a valid Retry-After (delta-seconds or HTTP-date) is clamped to
 * [MIN_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS] and the longer of it and the jittered
 * schedule wins: we wait as long as the receiver asks, but never retry sooner than the
 * schedule says. The Retry-After delay itself is not jittered, so it is honoured exactly.
 */
export function retryDelayMs(args: {
  scheduleSeconds: readonly number[];
  failedAttempts: number;
  status?: number;
  retryAfter?: string | null;
  random?: () => number;
  now?: Date;
}): number | null {
  const { scheduleSeconds, failedAttempts } = args;
  if (!Number.isInteger(failedAttempts) || failedAttempts < 1) {
    throw new RangeError(`failedAttempts must be an integer of at least 1, got ${failedAttempts}`);
  }
  if (failedAttempts > scheduleSeconds.length) return null;

  const scheduledSeconds = scheduleSeconds[failedAttempts - 1];
  if (!Number.isFinite(scheduledSeconds) || scheduledSeconds < 0) {
    throw new RangeError(`retry schedule entries must be finite and non-negative, got ${scheduledSeconds}`);
  }
  const random = args.random ?? Math.random;
  const jitter = 1 + (random() * 2 - 1) * RETRY_JITTER_RATIO;
  const scheduledMs = Math.round(scheduledSeconds * 1_000 * jitter);

  if (args.status === undefined || !RETRY_AFTER_STATUSES.has(args.status)) return scheduledMs;
  const requestedMs = parseRetryAfterMs(args.retryAfter, args.now ?? new Date());
  if (requestedMs === null) return scheduledMs;
  const boundedMs = Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, requestedMs));
  return Math.max(scheduledMs, boundedMs);
}

/** Retry-After as milliseconds from `now`, or null when absent or malformed. */
export function parseRetryAfterMs(value: string | null | undefined, now: Date): number | null {
  const text = value?.trim();
  if (!text) return null;
  if (/^\d+$/.test(text)) return Number(text) * 1_000;
  // Only the HTTP-date shapes (IMF-fixdate and the obsolete ones) carry a weekday or
  // month name; this keeps Date.parse from accepting things like "1.5" or "2024".
  if (!/[a-z]{3}/i.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : at - now.getTime();
}
