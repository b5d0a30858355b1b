// EXPLAIN (ANALYZE, BUFFERS) of the statements one delivery-log page runs, on a database
// the delivery-log bench kept (BENCH_KEEP_DATABASE=1): for looking at a slow case.
//
//   DATABASE_URL=postgres://…/hy_bench_… npx node test/bench/tools/explain-delivery-log.ts '{"status":["FAILED"]}' '[{"field":"WEBHOOK","direction":"ASC"}]'
//
// The tenant is the database's first (the bench's measured one); a third argument, a
// page as JSON ({"first":50,"after":"…"}), pages on.
import pg from 'pg';
import { deliveryLogPage, openDeliveryLog, type Db } from '../../../core/delivery-log/delivery-log-query.ts';
import { pageRequest } from '../../../schema/graphql/types/DeliveryLog.ts';

const [filterJson = '{}', orderJson = 'null', pageJson = '{"first":50}'] = process.argv.slice(2);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
try {
  const [{ id: tenantId }] = (await pool.query<{ id: string }>('select id from tenant order by created_at limit 1')).rows;
  const statements: { text: string; values: unknown[] }[] = [];
  const recorder: Db = {
    query: ((statement: { text: string; values: unknown[] }) => {
      statements.push(statement);
      return pool.query(statement);
    }) as never,
  };
  const filter = Object.fromEntries(Object.entries(JSON.parse(filterJson) as Record<string, unknown>).map(([k, v]) => [k, /(From|To)$/.test(k) ? new Date(v as string) : v]));
  const page = JSON.parse(pageJson) as Record<string, unknown>;
  const started = performance.now();
  const log = await openDeliveryLog(recorder, tenantId, { filter, orderBy: JSON.parse(orderJson) });
  const result = await deliveryLogPage(recorder, log, pageRequest({ first: (page.first as number) ?? null, last: (page.last as number) ?? null, after: (page.after as string) ?? null, before: (page.before as string) ?? null }));
  console.log(`page of ${result.rows.length} rows in ${(performance.now() - started).toFixed(1)} ms, ${statements.length} statements; end cursor ${result.cursors.at(-1)}`);
  for (const statement of statements) {
    console.log(`\n---- ${statement.text.replace(/\s+/g, ' ')}\n     values: ${JSON.stringify(statement.values).slice(0, 300)}`);
    if (/^explain/.test(statement.text)) continue;
    const { rows } = await pool.query({ text: `explain (analyze, buffers) ${statement.text}`, values: statement.values });
    console.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
  }
} finally {
  await pool.end();
}
