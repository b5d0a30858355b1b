import { ValidationError } from '../errors.ts';
import { EVENT_TYPE_NAME } from './text.ts';
import { MAX_IN_FLIGHT_RANGE } from '../jobs.ts';

/** Default retry schedule: the delays before attempts 2..8 (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). */
export const DEFAULT_RETRY_SCHEDULE_SECONDS = [5, 300, 1800, 7200, 18000, 36000, 36000];
export const MAX_RETRY_STEPS = 20;
export const MAX_RETRY_DELAY_SECONDS = 7 * 24 * 3600;
export const DEFAULT_TIMEOUT_SECONDS = 15;
export const MAX_TIMEOUT_SECONDS = 60;
export const MAX_EVENT_TYPES = 100;
export const MAX_CHANNELS = 20;
export const MAX_RATE_LIMIT = 10_000;

const WILDCARD = /^([a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.)?\*$/;
const CHANNEL = /^[A-Za-z0-9_.:-]{1,100}$/;

/** Splits a webhook's event type list into exact names (which must be registered) and wildcards. */
export function checkEventTypePatterns(field: string, patterns: string[]): { exact: string[]; wildcards: string[] } {
  if (patterns.length === 0) throw new ValidationError(field, 'subscribe to at least one event type, e.g. ["invoice.created"] or ["invoice.*"] or ["*"]');
  if (patterns.length > MAX_EVENT_TYPES) throw new ValidationError(field, `at most ${MAX_EVENT_TYPES} event types per webhook; use a wildcard such as invoice.*`);
  const exact: string[] = [];
  const wildcards: string[] = [];
  for (const raw of patterns) {
    const pattern = raw.trim();
    if (WILDCARD.test(pattern)) wildcards.push(pattern);
    else if (EVENT_TYPE_NAME.test(pattern)) exact.push(pattern);
    else throw new ValidationError(field, `"${pattern}" is neither an event type name (invoice.created) nor a wildcard (invoice.* or *)`);
  }
  return { exact: [...new Set(exact)], wildcards: [...new Set(wildcards)] };
}

/** True when an event type matches one of a webhook's patterns (exact, `resource.*`, or `*`). */
export function eventTypeMatches(patterns: string[], type: string): boolean {
  return patterns.some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

export function checkChannels(field: string, channels: string[]): string[] {
  if (channels.length > MAX_CHANNELS) throw new ValidationError(field, `at most ${MAX_CHANNELS} channels per webhook`);
  for (const channel of channels) {
    if (!CHANNEL.test(channel)) throw new ValidationError(field, `channel "${channel}" must be 1 to 100 letters, digits or _ . : -`);
  }
  return [...new Set(channels)];
}

export function checkRetrySchedule(field: string, schedule: number[]): number[] {
  if (schedule.length > MAX_RETRY_STEPS) throw new ValidationError(field, `at most ${MAX_RETRY_STEPS} retries; got ${schedule.length}`);
  for (const delay of schedule) {
    if (!Number.isInteger(delay) || delay < 1 || delay > MAX_RETRY_DELAY_SECONDS) {
      throw new ValidationError(field, `each retry delay is a whole number of seconds from 1 to ${MAX_RETRY_DELAY_SECONDS}; got ${delay}`);
    }
  }
  return schedule;
}

export function checkTimeoutSeconds(field: string, seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
    throw new ValidationError(field, `the timeout is a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}; got ${seconds}`);
  }
  return seconds;
}

export function checkRateLimit(field: string, perSecond: number | null): number | null {
  if (perSecond === null) return null;
  if (!Number.isInteger(perSecond) || perSecond < 1 || perSecond > MAX_RATE_LIMIT) {
    throw new ValidationError(field, `the rate limit is deliveries per second, a whole number from 1 to ${MAX_RATE_LIMIT}, or null for none; got ${perSecond}`);
  }
  return perSecond;
}

export const DEFAULT_CIRCUIT_THRESHOLD = 10;
export const MAX_CIRCUIT_THRESHOLD = 1000;

/** Requests open at once to the webhook's endpoint. */
export function checkMaxInFlight(field: string, value: number): number {
  if (!Number.isInteger(value) || value < MAX_IN_FLIGHT_RANGE.min || value > MAX_IN_FLIGHT_RANGE.max) {
    throw new ValidationError(field, `maxInFlight is how many requests may be open at once to the endpoint, a whole number from ${MAX_IN_FLIGHT_RANGE.min} to ${MAX_IN_FLIGHT_RANGE.max}; got ${value}`);
  }
  return value;
}

/** Failed attempts in a row that open the webhook's circuit. */
export function checkCircuitThreshold(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_CIRCUIT_THRESHOLD) {
    throw new ValidationError(field, `the circuit opens after this many failed attempts in a row, a whole number from 1 to ${MAX_CIRCUIT_THRESHOLD}; got ${value}`);
  }
  return value;
}
