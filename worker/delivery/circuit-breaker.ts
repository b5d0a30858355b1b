// The circuit breaker per webhook. After `circuitThreshold` failed attempts in a row the
// circuit opens: deliveries that come due are held (they spend no retries) for a
// cool-down that doubles with each reopening, from HOOKYARD_CIRCUIT_COOLDOWN_SECONDS up
// to an hour. Then it half-opens and one delivery, the probe, goes out: a success closes
// the circuit and releases what it held, a failure opens it again. Any success closes it.
import type pg from 'pg';
import type { Job, PgBoss } from 'pg-boss';
import type { Logger } from '../../infra/logger.ts';
import { QUEUES, type CircuitProbeJob } from '../../core/jobs.ts';
import { bossDb, withTransaction } from '../../infra/transaction.ts';
import type { LiveUpdate } from '../../core/live-updates/live-update.ts';
import { notifyUpdatesSql } from '../../core/sql/live-updates.ts';
import { releaseHeldDeliveries } from '../../core/delivery/holds.ts';
import * as sql from '../../core/sql/circuit.ts';
import type { OperationalEvent } from '../../core/publishing/operational-events.ts';
import { recordCircuitTransition } from '../../infra/metrics.ts';

export const MAX_CIRCUIT_COOLDOWN_SECONDS = 3600;

/** The cool-down after the `openCount`-th opening in a row: base, doubled each time, at most an hour. */
export function circuitCooldownMs(openCount: number, baseSeconds: number): number {
  const seconds = Math.min(baseSeconds * 2 ** Math.max(0, Math.min(openCount - 1, 30)), MAX_CIRCUIT_COOLDOWN_SECONDS);
  return seconds * 1000;
}

/** One recorded attempt, as the breaker sees it. */
export interface AttemptResult {
  webhookId: string;
  deliveryId: string;
  ok: boolean;
}

export interface FailureRun {
  webhookId: string;
  hadSuccess: boolean;
  /** failed attempts after the group's last success (all of them when there was none) */
  trailingFailures: number;
  failedDeliveries: Set<string>;
}

/** Per webhook, the failures in a row a group of attempts (in recording order) ends with. */
export function failureRuns(results: AttemptResult[]): FailureRun[] {
  const runs = new Map<string, FailureRun>();
  for (const r of results) {
    const run = runs.get(r.webhookId) ?? { webhookId: r.webhookId, hadSuccess: false, trailingFailures: 0, failedDeliveries: new Set<string>() };
    if (r.ok) {
      run.hadSuccess = true;
      run.trailingFailures = 0;
    } else {
      run.trailingFailures++;
      run.failedDeliveries.add(r.deliveryId);
    }
    runs.set(r.webhookId, run);
  }
  return [...runs.values()];
}

export type CircuitMove = 'close' | 'open' | 'reopen' | null;

/** What a webhook's circuit does after a group of attempts, given its row after counting. */
export function circuitMove(row: sql.CircuitRow, run: FailureRun): CircuitMove {
  if (run.hadSuccess) return row.circuit_state === 'CLOSED' ? null : 'close';
  if (row.circuit_state === 'CLOSED') return row.circuit_failures >= row.circuit_threshold ? 'open' : null;
  if (row.circuit_state === 'HALF_OPEN' && row.circuit_probe_delivery_id && run.failedDeliveries.has(row.circuit_probe_delivery_id)) return 'reopen';
  return null;
}

/**
 * Applies a group's attempt results to the circuits, inside the recording transaction
 * (webhook rows are locked before delivery rows, as everywhere). Returns the live updates
 * of webhooks whose circuit moved.
 */
export async function updateCircuits(
  client: pg.PoolClient,
  boss: PgBoss,
  log: Logger,
  results: AttemptResult[],
  cooldownBaseSeconds: number,
): Promise<{ changes: LiveUpdate[]; events: OperationalEvent[] }> {
  const runs = failureRuns(results).sort((a, b) => a.webhookId.localeCompare(b.webhookId));
  const events: OperationalEvent[] = [];
  if (runs.length === 0) return { changes: [], events };
  const byId = new Map(runs.map((r) => [r.webhookId, r]));
  const rows = (await client.query<sql.CircuitRow>(sql.countFailureRuns(runs))).rows;
  const changes: LiveUpdate[] = [];
  const toClose: sql.CircuitRow[] = [];
  for (const row of rows.sort((a, b) => a.id.localeCompare(b.id))) {
    const move = circuitMove(row, byId.get(row.id)!);
    if (move === 'close') toClose.push(row);
    else if (move === 'open' || move === 'reopen') {
      const cooldownMs = circuitCooldownMs(row.circuit_open_count + 1, cooldownBaseSeconds);
      const opened = (await client.query(sql.openCircuit(row.id, row.circuit_state, cooldownMs))).rows[0];
      if (!opened) continue;
      await boss.insert(
        QUEUES.circuitProbe,
        [{ data: { webhookId: row.id, tenantId: row.tenant_id, openCount: opened.circuit_open_count } satisfies CircuitProbeJob, startAfter: opened.circuit_next_probe_at }],
        { db: bossDb(client) },
      );
      recordCircuitTransition('open');
      log.warn({ webhookId: row.id, failures: row.circuit_failures, cooldownMs }, 'circuit opened: attempts wait for the cool-down');
      changes.push({ kind: 'webhook', tenantId: row.tenant_id, id: row.id, webhookId: row.id });
      events.push({
        tenantId: row.tenant_id,
        webhookId: row.id,
        type: 'hookyard.webhook.circuit_opened',
        payload: { webhookId: row.id, failures: row.circuit_failures, openings: opened.circuit_open_count, nextProbeAt: new Date(opened.circuit_next_probe_at).toISOString() },
      });
    }
  }
  if (toClose.length) {
    for (const closed of (await client.query(sql.closeCircuits(toClose.map((r) => r.id)))).rows) {
      await releaseHeldDeliveries(client, boss, { tenantId: closed.tenant_id, webhookIds: [closed.id], manual: false });
      recordCircuitTransition('closed');
      log.info({ webhookId: closed.id }, 'circuit closed');
      changes.push({ kind: 'webhook', tenantId: closed.tenant_id, id: closed.id, webhookId: closed.id });
      events.push({ tenantId: closed.tenant_id, webhookId: closed.id, type: 'hookyard.webhook.circuit_closed', payload: { webhookId: closed.id } });
    }
  }
  return { changes, events };
}

/** The circuit-probe job: the cool-down is over, so half-open the circuit and send its probe. */
export function createCircuitProbeHandler(deps: { pool: pg.Pool; boss: PgBoss; log: Logger }) {
  return async function probe(jobs: Job<CircuitProbeJob>[]): Promise<void> {
    for (const { data } of jobs) {
      await withTransaction(deps.pool, async (client) => {
        const row = (await client.query(sql.halfOpenCircuit(data.webhookId, data.openCount))).rows[0];
        if (!row) return; // closed, reopened or resumed meanwhile: this probe is stale
        recordCircuitTransition('half_open');
        const changes: LiveUpdate[] = [{ kind: 'webhook', tenantId: row.tenant_id, id: row.id, webhookId: row.id }];
        if (row.circuit_probe_delivery_id) {
          const released = await releaseHeldDeliveries(client, deps.boss, { tenantId: row.tenant_id, webhookIds: [row.id], manual: false });
          deps.log.info({ webhookId: row.id, probe: row.circuit_probe_delivery_id, released }, 'circuit half-open: probe queued');
        }
        await client.query(notifyUpdatesSql(changes));
      });
    }
  };
}

/** Sends a probe job for an open circuit whose probe was lost (the sweeper's repair). */
export async function queueProbe(client: pg.PoolClient, boss: PgBoss, probe: CircuitProbeJob): Promise<void> {
  await boss.insert(QUEUES.circuitProbe, [{ data: probe }], { db: bossDb(client) });
}
