// One delivery-log page through two checkouts' code, alternating, on a database the
// delivery-log bench kept (BENCH_KEEP_DATABASE=1): a before/after of a query change
// measured in the same run, in process (no GraphQL, no HTTP), so the machine's load
// weighs on both alike.
//
//   DATABASE_URL=postgres://…/hy_bench_… npx node test/bench/tools/compare-delivery-log.ts /work/main
//
// Prints p50 and p99 of each case for the other checkout ("before") and this one.
import path from 'node:path';
import pg from 'pg';
import * as after from '../../../core/delivery-log/delivery-log-query.ts';
import { quantile, printTable } from '../support/bench-env.ts';

const RUNS = Number(process.env.COMPARE_RUNS ?? 20);
const before = (await import(path.resolve(process.argv[2] ?? '/work/main', 'core/delivery-log/delivery-log-query.ts'))) as typeof after;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
const [{ id: tenantId }] = (await pool.query<{ id: string }>('select id from tenant order by created_at limit 1')).rows;

const by = (field: string, direction: string, then?: string) => [{ field, direction }, ...(then ? [{ field: 'CREATED_AT', direction: then }] : [])];
const cases: [string, Record<string, unknown>, { field: string; direction: string }[] | null][] = [
  ['status FAILED × CREATED_AT DESC (control: one index range)', { status: ['FAILED'] }, by('CREATED_AT', 'DESC')],
  ['eventType × WEBHOOK ASC', { eventType: 'refund.failed' }, by('WEBHOOK', 'ASC')],
  ['eventType × INTEGRATOR DESC, CREATED_AT ASC', { eventType: 'refund.failed' }, by('INTEGRATOR', 'DESC', 'ASC')],
  ['status FAILED × DELIVERED_AT DESC, CREATED_AT ASC', { status: ['FAILED'] }, by('DELIVERED_AT', 'DESC', 'ASC')],
  ['status FAILED × SUCCEEDED DESC', { status: ['FAILED'] }, by('SUCCEEDED', 'DESC')],
  ['status FAILED × SUCCEEDED DESC, CREATED_AT ASC', { status: ['FAILED'] }, by('SUCCEEDED', 'DESC', 'ASC')],
  ['status FAILED × ATTEMPTS DESC, CREATED_AT ASC', { status: ['FAILED'] }, by('ATTEMPTS', 'DESC', 'ASC')],
  ['ATTEMPTS DESC, CREATED_AT ASC (no filter)', {}, by('ATTEMPTS', 'DESC', 'ASC')],
  ['WEBHOOK ASC + status FAILED', { status: ['FAILED'] }, by('WEBHOOK', 'ASC')],
  ['status FAILED × ATTEMPTS ASC (still slow)', { status: ['FAILED'] }, by('ATTEMPTS', 'ASC')],
];

// COMPARE_SET=mixed: instead, every mixed sort (first key one way, created at the other)
// under several single filters: the shapes the mixed-sort change touches.
if (process.env.COMPARE_SET === 'mixed') {
  cases.length = 0;
  const filters: [string, Record<string, unknown>][] = [
    ['attemptsMin 5', { attemptsMin: 5 }],
    ['attemptsMax 0', { attemptsMax: 0 }],
    ['succeeded false', { succeeded: false }],
    ['durationMinMs 2900', { durationMinMs: 2900 }],
    ['httpStatus 500-599', { httpStatusMin: 500, httpStatusMax: 599 }],
    ['eventType', { eventType: 'refund.failed' }],
    ['status CANCELLED', { status: ['CANCELLED'] }],
    ['search integrator name', { search: 'globex' }],
  ];
  for (const [name, filter] of filters) {
    for (const field of ['EVENT_TYPE', 'ATTEMPTS', 'LAST_ATTEMPT_AT', 'SUCCEEDED', 'DELIVERED_AT', 'HTTP_STATUS', 'DURATION']) {
      for (const direction of ['ASC', 'DESC']) cases.push([`${name} × ${field} ${direction}, CREATED_AT ${direction === 'ASC' ? 'DESC' : 'ASC'}`, filter, by(field, direction, direction === 'ASC' ? 'DESC' : 'ASC')]);
    }
  }
}

async function page(code: typeof after, filter: Record<string, unknown>, orderBy: unknown): Promise<number> {
  const started = performance.now();
  const log = await code.openDeliveryLog(pool, tenantId, { filter, orderBy: orderBy as never });
  await code.deliveryLogPage(pool, log, { size: 50, backward: false });
  return performance.now() - started;
}

const table = [['case (50 rows, first page)', 'before p50', 'before p99', 'after p50', 'after p99']];
try {
  for (const [name, filter, orderBy] of cases) {
    const times = { before: [] as number[], after: [] as number[] };
    await page(before, filter, orderBy);
    await page(after, filter, orderBy);
    for (let i = 0; i < RUNS; i++) {
      times.before.push(await page(before, filter, orderBy));
      times.after.push(await page(after, filter, orderBy));
    }
    table.push([name, ...[times.before, times.after].flatMap((t) => [quantile(t, 0.5).toFixed(1), quantile(t, 0.99).toFixed(1)])]);
  }
  // The total: before, an exact count of every match; after, exact up to 10,000 else the estimate.
  for (const [name, filter] of [['totalCount, no filter', {}], ['totalCount, status FAILED', { status: ['FAILED'] }]] as const) {
    const times = { before: [] as number[], after: [] as number[] };
    for (let i = 0; i < 5; i++) {
      const log = await after.openDeliveryLog(pool, tenantId, { filter });
      let started = performance.now();
      // The exact count, uncached (countDeliveryLog keeps a slow one for 5 s).
      await pool.query(`select count(*) from delivery d where d.tenant_id = $1${'status' in filter ? ` and d.status = 'FAILED'` : ''}`, [tenantId]);
      times.before.push(performance.now() - started);
      started = performance.now();
      await after.totalOfDeliveryLog(pool, log);
      times.after.push(performance.now() - started);
    }
    table.push([`${name} (5 runs)`, ...[times.before, times.after].flatMap((t) => [quantile(t, 0.5).toFixed(1), quantile(t, 0.99).toFixed(1)])]);
  }
  printTable(table);
} finally {
  await pool.end();
}
