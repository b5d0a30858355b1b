// graphql-ws limits, each at its edge: subscriptions per socket, sockets per API key and
// messages per second per socket. Past a limit only the offender hears of it (a
// LIMIT_EXCEEDED error or the close code 4429); every other socket and subscription goes on.
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { useTestHookyard } from '../support/hookyard.ts';
import { addApiKey, createIntegrator, createWebhook, registerEventType } from '../support/fixtures.ts';
import { openLiveSocket, type LiveSocket } from '../support/live.ts';
import { mutate } from '../support/graphql.ts';

const WEBHOOK_UPDATED = 'subscription { webhookUpdated { ... on Webhook { id status } } }';

describe('graphql-ws limits', () => {
  const hy = useTestHookyard({ HOOKYARD_WS_SUBSCRIPTIONS_PER_SOCKET: '3', HOOKYARD_WS_SOCKETS_PER_KEY: '3', HOOKYARD_WS_MESSAGES_PER_SECOND: '20' });
  const sockets: LiveSocket[] = [];
  afterAll(() => sockets.forEach((s) => s.close()));

  async function socket(): Promise<LiveSocket> {
    const s = await openLiveSocket(hy.baseUrl);
    sockets.push(s);
    return s;
  }

  async function activeSubscriptions(): Promise<number> {
    const text = await (await fetch(`${hy.baseUrl}/metrics`)).text();
    return Number(/^hookyard_subscriptions_active (\d+)$/m.exec(text)![1]);
  }

  async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    for (let i = 0; i < 500; i++) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`never: ${what}`);
  }

  const closeSocket = async (s: LiveSocket) => {
    s.close();
    await s.closed();
  };

  it('takes 3 subscriptions on a socket, refuses the 4th with LIMIT_EXCEEDED, and the 3 go on', async () => {
    await registerEventType(hy.admin, 'invoice.created');
    const integrator = await createIntegrator(hy.admin);
    const { webhook } = await createWebhook(hy.admin, { integratorId: integrator.id, eventTypes: ['invoice.created'] });
    const before = await activeSubscriptions();
    const s = await socket();
    expect(await s.init({ authorization: `Bearer ${hy.adminToken}` })).toBe('ack');
    const ids = [1, 2, 3, 4].map(() => s.subscribe(WEBHOOK_UPDATED));
    // Exactly one of the four (whichever came last) is refused; the socket stays open.
    const refused = await Promise.any(ids.map((id) => s.end(id).then((message) => ({ id, message }))));
    expect(refused.message.type).toBe('error');
    expect(refused.message.payload[0]).toMatchObject({ extensions: { code: 'LIMIT_EXCEEDED', limit: 3 } });
    expect(refused.message.payload[0].message).toMatch(/at most 3 .*HOOKYARD_WS_SUBSCRIPTIONS_PER_SOCKET/);
    const live = ids.filter((id) => id !== refused.id);
    await until(async () => (await activeSubscriptions()) === before + 3, '3 subscriptions active');

    // A second socket of the same key has its own 3.
    const other = await socket();
    expect(await other.init({ authorization: `Bearer ${hy.adminToken}` })).toBe('ack');
    const otherId = other.subscribe(WEBHOOK_UPDATED);
    await until(async () => (await activeSubscriptions()) === before + 4, 'the other socket subscribed');

    await mutate(hy.admin, 'mutation ($input: WebhookActionInput!) { pauseWebhook(input: $input) { __typename } }', { input: { id: webhook.id } });
    for (const id of live) expect((await s.next(id)).data.webhookUpdated).toEqual({ id: webhook.id, status: 'PAUSED' });
    expect((await other.next(otherId)).data.webhookUpdated).toEqual({ id: webhook.id, status: 'PAUSED' });

    // Completing one makes room for another.
    s.sendRaw({ id: live[0], type: 'complete' });
    await until(async () => (await activeSubscriptions()) === before + 3, 'one subscription completed');
    const again = s.subscribe(WEBHOOK_UPDATED);
    await until(async () => (await activeSubscriptions()) === before + 4, 'a new subscription in its place');
    await mutate(hy.admin, 'mutation ($input: WebhookActionInput!) { resumeWebhook(input: $input) { __typename } }', { input: { id: webhook.id } });
    expect((await s.next(again)).data.webhookUpdated).toEqual({ id: webhook.id, status: 'ACTIVE' });
    await closeSocket(s);
    await closeSocket(other);
  });

  it('takes 3 sockets of one API key, closes the 4th with 4429, and other keys and sockets go on', async () => {
    const { data } = await hy.admin('{ viewer { tenant { id } } }');
    const secondKey = await addApiKey(hy.databaseUrl, data.viewer.tenant.id, 'VIEWER');
    const three = [await socket(), await socket(), await socket()];
    for (const s of three) expect(await s.init({ authorization: `Bearer ${hy.adminToken}` })).toBe('ack');
    const fourth = await socket();
    expect(await fourth.init({ authorization: `Bearer ${hy.adminToken}` })).toEqual({ code: 4429, reason: expect.stringMatching(/at most 3 .*HOOKYARD_WS_SOCKETS_PER_KEY/) });
    // Another key of the same tenant counts its own sockets.
    const otherKey = await socket();
    expect(await otherKey.init({ authorization: `Bearer ${secondKey}` })).toBe('ack');
    // The three still work.
    for (const s of three) {
      const id = s.subscribe('{ viewer { role } }');
      expect((await s.next(id)).data).toEqual({ viewer: { role: 'ADMIN' } });
    }
    // One closes: a new socket of the key is let in.
    await closeSocket(three[0]);
    let replacement: LiveSocket | undefined;
    await until(async () => {
      replacement?.close();
      replacement = await socket();
      return (await replacement.init({ authorization: `Bearer ${hy.adminToken}` })) === 'ack';
    }, 'a socket of the key let in again');
    for (const s of [three[1], three[2], replacement!, otherKey]) await closeSocket(s);
  });

  it('does not count a socket that left before its key was looked up', async () => {
    // Each of these sends connection_init and is gone before the server has checked the key.
    for (let i = 0; i < 12; i++) {
      const ws = new WebSocket(`${hy.baseUrl.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${hy.adminToken}` } }));
      ws.terminate();
    }
    await new Promise((r) => setTimeout(r, 300));
    const three = [await socket(), await socket(), await socket()];
    for (const s of three) expect(await s.init({ authorization: `Bearer ${hy.adminToken}` })).toBe('ack');
    for (const s of three) await closeSocket(s);
  });

  it('takes a burst of 20 messages on a socket (the limit a second), closes one that sends 21 with 4429, and others go on', async () => {
    const full = () => new Promise((r) => setTimeout(r, 1200)); // the bucket refills: 20 a second
    const calm = await socket();
    expect(await calm.init({ authorization: `Bearer ${hy.adminToken}` })).toBe('ack');
    const noisy = await socket();
    expect(await noisy.init({ authorization: `Bearer ${hy.adminToken}` })).toBe('ack');
    await full();
    for (let i = 0; i < 20; i++) calm.sendRaw({ type: 'ping' });
    expect(await calm.ofType('pong', 20)).toBe(20);
    for (let i = 0; i < 21; i++) noisy.sendRaw({ type: 'ping' });
    expect(await noisy.closed()).toEqual({ code: 4429, reason: expect.stringMatching(/at most 20 a second .*HOOKYARD_WS_MESSAGES_PER_SECOND/) });
    // The calm socket is still open and serving.
    await full();
    const id = calm.subscribe('{ viewer { role } }');
    expect((await calm.next(id)).data).toEqual({ viewer: { role: 'ADMIN' } });
    await closeSocket(calm);
  });
});
