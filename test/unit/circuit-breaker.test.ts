import { describe, expect, it } from 'vitest';
import { circuitCooldownMs, circuitMove, failureRuns, MAX_CIRCUIT_COOLDOWN_SECONDS } from '../../worker/delivery/circuit-breaker.ts';
import type { CircuitRow } from '../../core/sql/circuit.ts';

const row = (over: Partial<CircuitRow>): CircuitRow => ({
  id: 'whk_1',
  tenant_id: 'ten_1',
  circuit_state: 'CLOSED',
  circuit_failures: 0,
  circuit_threshold: 10,
  circuit_open_count: 0,
  circuit_probe_delivery_id: null,
  ...over,
});

describe('circuit breaker decisions', () => {
  it('doubles the cool-down with each opening, from the base up to an hour', () => {
    expect([1, 2, 3, 4].map((n) => circuitCooldownMs(n, 30))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(circuitCooldownMs(7, 30)).toBe(1_920_000);
    expect(circuitCooldownMs(8, 30)).toBe(MAX_CIRCUIT_COOLDOWN_SECONDS * 1000);
    expect(circuitCooldownMs(1000, 30)).toBe(3_600_000);
    expect(circuitCooldownMs(0, 30)).toBe(30_000);
  });

  it('counts, per webhook, the failures a group ends with: a success restarts the count', () => {
    const runs = failureRuns([
      { webhookId: 'a', deliveryId: '1', ok: false },
      { webhookId: 'b', deliveryId: '2', ok: false },
      { webhookId: 'a', deliveryId: '3', ok: true },
      { webhookId: 'a', deliveryId: '4', ok: false },
      { webhookId: 'a', deliveryId: '5', ok: false },
      { webhookId: 'b', deliveryId: '6', ok: false },
    ]);
    expect(runs.map((r) => ({ ...r, failedDeliveries: [...r.failedDeliveries] }))).toEqual([
      { webhookId: 'a', hadSuccess: true, trailingFailures: 2, failedDeliveries: ['1', '4', '5'] },
      { webhookId: 'b', hadSuccess: false, trailingFailures: 2, failedDeliveries: ['2', '6'] },
    ]);
  });

  it('opens a closed circuit at the threshold, not before', () => {
    const failing = { webhookId: 'whk_1', hadSuccess: false, trailingFailures: 1, failedDeliveries: new Set(['d']) };
    expect(circuitMove(row({ circuit_failures: 9 }), failing)).toBeNull();
    expect(circuitMove(row({ circuit_failures: 10 }), failing)).toBe('open');
    expect(circuitMove(row({ circuit_failures: 11 }), failing)).toBe('open');
  });

  it('reopens a half-open circuit only when its probe failed, and closes any open circuit on a success', () => {
    const failed = (id: string) => ({ webhookId: 'whk_1', hadSuccess: false, trailingFailures: 1, failedDeliveries: new Set([id]) });
    const halfOpen = row({ circuit_state: 'HALF_OPEN', circuit_failures: 12, circuit_probe_delivery_id: 'probe' });
    expect(circuitMove(halfOpen, failed('probe'))).toBe('reopen');
    expect(circuitMove(halfOpen, failed('other'))).toBeNull();
    expect(circuitMove(row({ circuit_state: 'OPEN', circuit_failures: 12 }), failed('x'))).toBeNull();
    const success = { webhookId: 'whk_1', hadSuccess: true, trailingFailures: 0, failedDeliveries: new Set<string>() };
    for (const state of ['OPEN', 'HALF_OPEN'] as const) expect(circuitMove(row({ circuit_state: state, circuit_failures: 12 }), success)).toBe('close');
    expect(circuitMove(row({}), success)).toBeNull();
  });
});
