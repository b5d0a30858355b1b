// "Data is confidential": a hook's requests go through the queue with their data, and once
// processed (published or failed) keep only their metadata. Checked the way a person with
// the database would: every inbound column read back, and every row of every table of the
// database read as text (a dump) for a marker value the sender sent.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestHookyard } from '../support/hookyard.ts';
import { eventually } from '../support/receiver.ts';
import { ok } from '../support/fixtures.ts';
import { sqlClient } from '../support/sql.ts';
import { call, createHeldHook, createInboundHook, inboundRequests, runInbound } from './support.ts';

describe('an inbound hook whose data is confidential', () => {
  const hy = useTestHookyard();

  function newMarker(): string {
    return `marker${randomBytes(8).toString('hex')}`;
  }

  /**
   * The tables (schema.table) with a row holding the marker, as text or as bytes (a bytea
   * reads as hex): every ordinary table of every schema but the system's, as a dump would.
   */
  async function tablesHolding(marker: string): Promise<string[]> {
    const db = sqlClient(hy.databaseUrl);
    try {
      return await scan(db, marker);
    } finally {
      await db.end();
    }
  }

  async function scan(db: ReturnType<typeof sqlClient>, marker: string): Promise<string[]> {
    const tables = await db.query(
      `select n.nspname as schema, c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg_toast%' order by 1, 2`,
    );
    const hex = Buffer.from(marker).toString('hex');
    const found: string[] = [];
    for (const { schema, name } of tables) {
      const table = `"${schema}"."${name}"`;
      const { n } = await db.one(`select count(*)::int as n from ${table} t where strpos(t::text, $1) > 0 or strpos(t::text, $2) > 0`, [marker, hex]);
      if (n > 0) found.push(`${schema}.${name}`);
    }
    return found;
  }

  /** Sends the marker in the query string, a header and a JSON body. */
  function sendMarker(url: string, marker: string, extra: Record<string, unknown> = {}) {
    return call(`${url}?q=${marker}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-secret': marker }, body: JSON.stringify({ card: marker, ...extra }) });
  }

  async function processed(hookId: string): Promise<any> {
    return eventually(async () => {
      const [r] = await inboundRequests(hy.admin, { hookId });
      return r && r.state !== 'QUEUED' ? r : null;
    }, 15_000, 'the request processed');
  }

  it('keeps metadata only once processed, while the event keeps its payload; a hook that is not confidential keeps everything', async () => {
    const marker = newMarker();
    const hook = await createInboundHook(hy.admin, { eventType: 'card.secret', includeHeaders: true, includeMethod: true, confidential: true });
    expect(hook.confidential).toBe(true);
    const answer = await sendMarker(hook.url, marker);
    expect(answer).toMatchObject({ status: 200, body: 'Accepted' });
    const request = await processed(hook.id);
    expect(request).toMatchObject({
      state: 'PROCESSED',
      confidential: true,
      method: 'POST',
      url: `/in/${hook.url.split('/in/')[1]}`,
      headers: {},
      query: {},
      body: null,
      bodyEncoding: null,
      parsed: null,
      size: JSON.stringify({ card: marker }).length,
      response: { status: 200, body: 'Accepted' },
      event: { type: 'card.secret', payload: { card: marker, q: marker, __method: 'POST' } },
    });
    expect(request.event.payload.__headers['x-secret']).toBe(marker);
    expect(await tablesHolding(marker)).toEqual(['public.event']);

    // The same call to a hook that is not confidential: the log keeps all of it (so the scan above can find what is there).
    const open = newMarker();
    const plain = await createInboundHook(hy.admin, { eventType: 'card.secret', includeHeaders: true });
    await sendMarker(plain.url, open);
    expect(await processed(plain.id)).toMatchObject({ confidential: false, query: { q: open }, body: JSON.stringify({ card: open }), parsed: { card: open, q: open } });
    expect(await tablesHolding(open)).toEqual(['public.event', 'public.inbound_request']);
  });

  it('keeps the data while the item waits in the queue, and deletes it when a SEQUENTIAL hook fails to publish it', async () => {
    await ok(hy.admin, 'registerEventType', { name: 'card.strict', schema: { type: 'object', required: ['mustHave'] } });
    const marker = newMarker();
    const hook = await createHeldHook(hy.admin, { eventType: 'card.strict', processingMode: 'SEQUENTIAL', confidential: true });
    await sendMarker(hook.url, marker);
    // Queued, it still has what processing needs.
    const [queued] = await inboundRequests(hy.admin, { hookId: hook.id });
    expect(queued).toMatchObject({ state: 'QUEUED', confidential: true, query: { q: marker }, parsed: { card: marker, q: marker } });
    expect(await tablesHolding(marker)).toEqual(['public.inbound_request']);

    await runInbound(hy.admin, 'updateInboundHook', { id: hook.id, status: 'ACTIVE' });
    const failed = await processed(hook.id);
    expect(failed).toMatchObject({ state: 'FAILED', status: 'ERROR', message: expect.stringMatching(/^not published: the payload does not match the schema of card.strict/), query: {}, headers: {}, body: null, parsed: null, event: null });
    expect(await tablesHolding(marker)).toEqual([]);
  });

  it('logs a refused request of a confidential hook with its metadata only', async () => {
    const marker = newMarker();
    const hook = await createInboundHook(hy.admin, { eventType: 'card.checked', confidential: true, dataStructure: { type: 'object', required: ['amount'] } });
    const refused = await sendMarker(hook.url, marker);
    expect(refused.status).toBe(400);
    // A body that says it is JSON and is not: the answer names the fault without quoting the body.
    const broken = await call(`${hook.url}?q=${marker}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `{"card": ${marker}}` });
    expect(broken).toMatchObject({ status: 400, body: "Bad Request: the body says it is JSON but is not: Unexpected token 'm'." });
    const rows = await inboundRequests(hy.admin, { hookId: hook.id });
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatchObject({ state: 'REFUSED', confidential: true, headers: {}, query: {}, body: null, parsed: null, url: expect.not.stringContaining('?') });
    expect(await tablesHolding(marker)).toEqual([]);
  });

  it('covers items already queued when turned on, and items received while it was on after it is turned off', async () => {
    const before = newMarker();
    const turnedOn = await createHeldHook(hy.admin, { eventType: 'card.later' });
    await sendMarker(turnedOn.url, before);
    const on = await runInbound(hy.admin, 'updateInboundHook', { id: turnedOn.id, confidential: true });
    expect(on.inboundHook.confidential).toBe(true);
    await runInbound(hy.admin, 'updateInboundHook', { id: turnedOn.id, status: 'ACTIVE' });
    expect(await processed(turnedOn.id)).toMatchObject({ state: 'PROCESSED', confidential: true, body: null, parsed: null });

    const during = newMarker();
    const turnedOff = await createHeldHook(hy.admin, { eventType: 'card.later', confidential: true });
    await sendMarker(turnedOff.url, during);
    await runInbound(hy.admin, 'updateInboundHook', { id: turnedOff.id, confidential: false });
    await runInbound(hy.admin, 'updateInboundHook', { id: turnedOff.id, status: 'ACTIVE' });
    expect(await processed(turnedOff.id)).toMatchObject({ state: 'PROCESSED', confidential: true, body: null, parsed: null });
    expect(await tablesHolding(before)).toEqual(['public.event']);
    expect(await tablesHolding(during)).toEqual(['public.event']);
  });
});
