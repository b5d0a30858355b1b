import { describe, expect, it } from 'vitest';
import {
  MAX_RETRY_AFTER_MS,
  MIN_RETRY_AFTER_MS,
  parseRetryAfterMs,
  retryDelayMs,
} from '../../worker/delivery/retry-delay.ts';
import { DEFAULT_RETRY_SCHEDULE_SECONDS } from '../../core/rules/webhook-fields.ts';

const middle = () => 0.5; // no jitter
const schedule = DEFAULT_RETRY_SCHEDULE_SECONDS;

describe('retryDelayMs', () => {
  it('follows the default schedule of 8 attempts: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => retryDelayMs({ scheduleSeconds: schedule, failedAttempts: n, random: middle }));
    expect(delays).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  });

  it('gives up after the last scheduled delay', () => {
    expect(retryDelayMs({ scheduleSeconds: schedule, failedAttempts: 8, random: middle })).toBeNull();
    expect(retryDelayMs({ scheduleSeconds: schedule, failedAttempts: 9, random: middle })).toBeNull();
  });

  it('gives up at once with an empty schedule', () => {
    expect(retryDelayMs({ scheduleSeconds: [], failedAttempts: 1 })).toBeNull();
  });

  it('spreads delays by at most 20 % either way', () => {
    expect(retryDelayMs({ scheduleSeconds: [100], failedAttempts: 1, random: () => 0 })).toBe(80_000);
    expect(retryDelayMs({ scheduleSeconds: [100], failedAttempts: 1, random: () => 0.999999 })).toBe(120_000);
    for (let i = 0; i < 200; i++) {
      const delay = retryDelayMs({ scheduleSeconds: [100], failedAttempts: 1 })!;
      expect(delay).toBeGreaterThanOrEqual(80_000);
      expect(delay).toBeLessThanOrEqual(120_000);
    }
  });

  it('accepts short per-webhook schedules, including zero seconds', () => {
    expect(retryDelayMs({ scheduleSeconds: [1, 0], failedAttempts: 1, random: middle })).toBe(1_000);
    expect(retryDelayMs({ scheduleSeconds: [1, 0], failedAttempts: 2, random: middle })).toBe(0);
  });

  it('refuses a failedAttempts below 1 or fractional', () => {
    for (const failedAttempts of [0, -1, 1.5]) {
      expect(() => retryDelayMs({ scheduleSeconds: schedule, failedAttempts }), String(failedAttempts)).toThrow(/failedAttempts must be an integer of at least 1/);
    }
  });

  it('keeps a zero-second schedule on a 429 or 503 without a usable Retry-After', () => {
    for (const retryAfter of [null, '', 'soon', '2030-01-01T00:00:00Z']) {
      expect(retryDelayMs({ scheduleSeconds: [0], failedAttempts: 1, status: 429, retryAfter, random: middle }), String(retryAfter)).toBe(0);
    }
  });

  it('refuses a negative schedule entry', () => {
    expect(() => retryDelayMs({ scheduleSeconds: [-1], failedAttempts: 1 })).toThrow(/non-negative/);
  });

  it('waits as long as a 429 Retry-After in seconds asks when it exceeds the schedule', () => {
    expect(retryDelayMs({ scheduleSeconds: [5], failedAttempts: 1, status: 429, retryAfter: '120', random: middle })).toBe(120_000);
  });

  it('honours Retry-After on 503 too', () => {
    expect(retryDelayMs({ scheduleSeconds: [5], failedAttempts: 1, status: 503, retryAfter: '60', random: middle })).toBe(60_000);
  });

  it('keeps the schedule when Retry-After asks for less than it', () => {
    expect(retryDelayMs({ scheduleSeconds: [300], failedAttempts: 1, status: 429, retryAfter: '0', random: middle })).toBe(300_000);
  });

  it('raises a Retry-After of 0 to the 1 s floor when the schedule is shorter', () => {
    expect(retryDelayMs({ scheduleSeconds: [0], failedAttempts: 1, status: 429, retryAfter: '0', random: middle })).toBe(MIN_RETRY_AFTER_MS);
  });

  it('caps a Retry-After at 24 h', () => {
    const delay = retryDelayMs({ scheduleSeconds: [5], failedAttempts: 1, status: 503, retryAfter: '999999999', random: middle });
    expect(delay).toBe(MAX_RETRY_AFTER_MS);
    expect(MAX_RETRY_AFTER_MS).toBe(86_400_000);
  });

  it('keeps a schedule longer than the 24 h cap', () => {
    expect(retryDelayMs({ scheduleSeconds: [172_800], failedAttempts: 1, status: 429, retryAfter: '999999', random: middle })).toBe(172_800_000);
  });

  it('honours a Retry-After given as an HTTP-date', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    const retryAfter = new Date(now.getTime() + 600_000).toUTCString();
    expect(retryDelayMs({ scheduleSeconds: [5], failedAttempts: 1, status: 429, retryAfter, now, random: middle })).toBe(600_000);
  });

  it('ignores Retry-After on statuses other than 429 and 503', () => {
    for (const status of [500, 502, 301, 410]) {
      expect(retryDelayMs({ scheduleSeconds: [5], failedAttempts: 1, status, retryAfter: '3600', random: middle })).toBe(5_000);
    }
  });

  it('ignores a malformed Retry-After', () => {
    for (const retryAfter of ['soon', '1.5', '-5', '', null, undefined]) {
      expect(retryDelayMs({ scheduleSeconds: [5], failedAttempts: 1, status: 429, retryAfter, random: middle })).toBe(5_000);
    }
  });
});

describe('parseRetryAfterMs', () => {
  const now = new Date('2025-06-01T12:00:00Z');

  it('reads delta-seconds, trimming whitespace', () => {
    expect(parseRetryAfterMs(' 30 ', now)).toBe(30_000);
  });

  it('reads an IMF-fixdate relative to now, negative when in the past', () => {
    expect(parseRetryAfterMs('Sun, 01 Jun 2025 12:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfterMs('Sun, 01 Jun 2025 11:59:00 GMT', now)).toBe(-60_000);
  });

  it('rejects ISO 8601 times, which are not HTTP-dates (letters T and Z only)', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs('2026-01-01T00:01:00Z', now)).toBeNull();
    expect(parseRetryAfterMs('Thu, 01 Jan 2026 00:01:00 GMT', now)).toBe(60_000);
  });

  it('rejects bare numbers that Date.parse would take for a year', () => {
    expect(parseRetryAfterMs('2025-06-01', now)).toBeNull();
    expect(parseRetryAfterMs('1.5', now)).toBeNull();
  });

  it('raises a date in the past to the 1 s floor when the schedule is shorter', () => {
    const delay = retryDelayMs({ scheduleSeconds: [0], failedAttempts: 1, status: 503, retryAfter: 'Sun, 01 Jun 2025 11:00:00 GMT', now, random: middle });
    expect(delay).toBe(1_000);
  });
});
