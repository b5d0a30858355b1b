import { LockMode } from '@mikro-orm/postgresql';
import { builder } from '../builder.ts';
import { requireAdmin, type Context } from '../context.ts';
import { paginate } from '../connection.ts';
import { escapeLike } from '../../../core/sql/like.ts';
import { IntegratorRef, loadIntegrator } from './Integrator.ts';
import { Integrator } from '../../entities/Integrator.ts';
import { Tenant } from '../../entities/Tenant.ts';
import { EventType } from '../../entities/EventType.ts';
import { Webhook } from '../../entities/Webhook.ts';
import { WebhookStatusChange } from '../../entities/WebhookStatusChange.ts';
import { newId } from '../../../core/ids.ts';
import { MAX_IN_FLIGHT_RANGE } from '../../../core/jobs.ts';
import { ConflictError, LimitExceededError, NotFoundError, ValidationError } from '../../../core/errors.ts';
import { optionalText, requiredText } from '../../../core/rules/text.ts';
import { checkWebhookUrl } from '../../../core/rules/url-policy.ts';
import { checkCustomHeaders } from '../../../core/rules/custom-headers.ts';
import { encryptSecret, generateWebhookSecret, signingSecret, webhookSecretProblem } from '../../../core/rules/secret.ts';
import {
  DEFAULT_TIMEOUT_SECONDS,
  checkChannels,
  checkEventTypePatterns,
  checkRateLimit,
  checkMaxInFlight,
  checkCircuitThreshold,
  DEFAULT_CIRCUIT_THRESHOLD,
  MAX_CIRCUIT_THRESHOLD,
  checkRetrySchedule,
  checkTimeoutSeconds,
} from '../../../core/rules/webhook-fields.ts';
import { transitionWebhook } from '../../../core/webhooks/webhook-transition.ts';
import { checkFilter, testFilter } from '../../../core/rules/payload-filter.ts';
import { Event } from '../../entities/Event.ts';
import { notifyLiveUpdates, webhookUpdate } from '../../../core/live-updates/notify.ts';
import { withTransaction } from '../../../infra/transaction.ts';
import type { HmacHeader, SignatureScheme, WebhookStatus } from '../../entities/Webhook.ts';
import { checkSignatureScheme, type SignatureInput } from '../../../core/rules/signature-scheme.ts';
import { isOperationalEventType } from '../../../core/publishing/operational-events.ts';

/** How long the previous secret keeps signing after a rotation. */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

export const WebhookStatusEnum = builder.enumType('WebhookStatus', {
  values: {
    ACTIVE: { description: 'Delivering.' },
    PAUSED: { description: 'Paused by a person: deliveries are held and go out on resume.' },
    DISABLED: { description: 'Disabled by Hookyard after persistent failure or an HTTP 410; resumable.' },
    DELETED: { description: 'Deleted: kept for history, never delivers again, cannot be restored.' },
  } as const,
});

const WebhookStatusChangeRef = builder.objectRef<WebhookStatusChange>('WebhookStatusChange').implement({
  description: "One line of a webhook's history.",
  fields: (t) => ({
    id: t.exposeID('id'),
    fromStatus: t.field({ type: WebhookStatusEnum, nullable: true, resolve: (c) => c.fromStatus ?? null }),
    toStatus: t.field({ type: WebhookStatusEnum, resolve: (c) => c.toStatus }),
    reason: t.exposeString('reason'),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
  }),
});

export const WebhookRef = builder.node(Webhook, {
  name: 'Webhook',
  description: "An integrator's subscription: where and what to send. Secrets are never readable after create and rotate.",
  id: { resolve: (w) => w.id },
  loadOne: (id, ctx) => ctx.em.findOne(Webhook, { id, tenantId: ctx.viewer.tenantId }),
  fields: (t) => ({
    integrator: t.field({
      type: IntegratorRef,
      resolve: (w, _args, ctx) => ctx.em.findOneOrFail(Integrator, { id: w.integratorId, tenantId: ctx.viewer.tenantId }),
    }),
    name: t.exposeString('name'),
    description: t.exposeString('description'),
    url: t.exposeString('url'),
    eventTypes: t.exposeStringList('eventTypes'),
    channels: t.exposeStringList('channels'),
    headers: t.field({ type: 'JSON', description: 'Custom headers sent with every attempt (not the secret ones: see secretHeaderNames).', resolve: (w) => w.headers }),
    secretHeaderNames: t.stringList({
      description: 'Custom headers whose values are secret (credentials): sent with every attempt, stored encrypted, never returned, and shown as [secret] in the attempt log.',
      resolve: (w) => Object.keys(w.secretHeaders ?? {}),
    }),
    status: t.field({ type: WebhookStatusEnum, resolve: (w) => w.status }),
    statusReason: t.exposeString('statusReason', { nullable: true }),
    retrySchedule: t.field({
      type: ['Int'],
      nullable: true,
      description:
        "Its own retry schedule: seconds before each retry; its length + 1 is the number of attempts. It wins over the event type's. " +
        "Null: each event type's default schedule applies (EventType.retrySchedule), else Hookyard's default (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).",
      resolve: (w) => w.retryScheduleSeconds ?? null,
    }),
    timeoutSeconds: t.int({ resolve: (w) => Math.round(w.timeoutMs / 1000) }),
    rateLimitPerSecond: t.exposeInt('rateLimitPerSecond', { nullable: true }),
    maxInFlight: t.exposeInt('maxInFlight', { description: 'Requests open at once to the endpoint at most, across every worker; more deliveries wait their turn in the queue.' }),
    ordering: t.field({ type: WebhookOrderingEnum, resolve: (w) => w.ordering }),
    bodyFormat: t.field({ type: BodyFormatEnum, resolve: (w) => w.bodyFormat }),
    sendTraceContext: t.exposeBoolean('sendTraceContext', {
      description: "Attempts carry a W3C traceparent header (the attempt's span) while Hookyard exports traces (OTEL_EXPORTER_OTLP_ENDPOINT set); never otherwise.",
    }),
    signature: t.field({ type: WebhookSignatureRef, resolve: (w) => w }),
    circuit: t.field({ type: WebhookCircuitRef, description: "The endpoint's circuit breaker.", resolve: (w) => w }),
    filter: t.field({
      type: 'JSON',
      nullable: true,
      description:
        'Only events that match this filter, beyond its event types and channels; null: every one. A JSON object over the event\'s ' +
        'data (its payload: data.customer.country, data.items.0.sku, data.items.sku for any element), type, channel and source, ' +
        'with $eq $neq $gt $gte $lt $lte $in $nin $exists $startsWith $contains and $and $or $not, e.g. ' +
        '{"data.amount": {"$gte": 100}, "$or": [{"channel": "eu"}, {"data.vip": true}]}. Comparisons are strict: 10 and "10" differ.',
      resolve: (w) => w.filter ?? null,
    }),
    previousSecretExpiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description:
        'While set and in the future (24 hours after the last rotateWebhookSecret), the secret that rotation replaced signs too, beside the current one; older secrets never do.',
      resolve: (w) => w.previousSecretExpiresAt ?? null,
    }),
    createdAt: t.field({ type: 'DateTime', resolve: (w) => w.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (w) => w.updatedAt }),
    pausedAt: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.pausedAt ?? null }),
    disabledAt: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.disabledAt ?? null }),
    deletedAt: t.field({ type: 'DateTime', nullable: true, resolve: (w) => w.deletedAt ?? null }),
    history: t.field({
      type: [WebhookStatusChangeRef],
      description: 'Every status change, oldest first: created, paused, resumed, disabled, deleted.',
      resolve: (w, _args, ctx) => ctx.em.find(WebhookStatusChange, { tenantId: ctx.viewer.tenantId, webhookId: w.id }, { orderBy: { createdAt: 'asc', id: 'asc' } }),
    }),
  }),
});

const BodyFormatEnum = builder.enumType('WebhookBodyFormat', {
  values: {
    CLOUDEVENTS_STRUCTURED: { value: 'CLOUDEVENTS_STRUCTURED', description: 'The CloudEvents JSON envelope as the body, content-type application/cloudevents+json; charset=utf-8 (the default).' },
    CLOUDEVENTS_BINARY: { value: 'CLOUDEVENTS_BINARY', description: "The event's data alone as an application/json body; its attributes in ce-specversion, ce-id, ce-source, ce-type and ce-time headers." },
  } as const,
});

const SignatureSchemeEnum = builder.enumType('SignatureScheme', {
  values: {
    STANDARD_WEBHOOKS: { value: 'STANDARD_WEBHOOKS', description: 'webhook-id, webhook-timestamp and webhook-signature (v1,<base64 HMAC-SHA256>), as Standard Webhooks and Svix libraries verify (the default).' },
    HMAC_HEADER: { value: 'HMAC_HEADER', description: 'One header carrying <prefix><HMAC> of the body (or of <timestamp>.<body>), as GitHub- or Qlik-style receivers check it.' },
  } as const,
});
const HmacPresetEnum = builder.enumType('HmacPreset', {
  values: {
    GITHUB: { value: 'GITHUB', description: 'x-hub-signature-256: sha256=<hex HMAC-SHA256 of the body>.' },
    QLIK: { value: 'QLIK', description: 'qlik-signature: <hex HMAC-SHA256 of the body>.' },
  } as const,
});
const HmacAlgorithmEnum = builder.enumType('HmacAlgorithm', { values: { SHA256: { value: 'sha256' }, SHA512: { value: 'sha512' } } as const });
const HmacEncodingEnum = builder.enumType('HmacEncoding', { values: { HEX: { value: 'hex' }, BASE64: { value: 'base64' } } as const });
const HmacSignedEnum = builder.enumType('HmacSignedContent', {
  values: {
    BODY: { value: 'BODY', description: 'The body exactly as sent.' },
    TIMESTAMP_BODY: { value: 'TIMESTAMP_BODY', description: '<unix seconds>.<body>, the seconds sent in timestampHeader (default x-webhook-timestamp).' },
  } as const,
});

const WebhookSignatureRef = builder.objectRef<Webhook>('WebhookSignature').implement({
  description:
    "How requests are signed. Both schemes key the HMAC with the secret's bytes (a whsec_ secret's decoded key). During the 24 h after a rotation both secrets sign: Standard Webhooks puts both v1 entries in webhook-signature (space-separated); HMAC_HEADER puts both values in its header, newest first, separated by a comma and a space.",
  fields: (t) => ({
    scheme: t.field({ type: SignatureSchemeEnum, resolve: (w) => w.signatureScheme }),
    header: t.string({ nullable: true, resolve: (w) => w.signatureHmac?.header ?? null }),
    algorithm: t.field({ type: HmacAlgorithmEnum, nullable: true, resolve: (w) => w.signatureHmac?.algorithm ?? null }),
    encoding: t.field({ type: HmacEncodingEnum, nullable: true, resolve: (w) => w.signatureHmac?.encoding ?? null }),
    prefix: t.string({ nullable: true, resolve: (w) => w.signatureHmac?.prefix ?? null }),
    signed: t.field({ type: HmacSignedEnum, nullable: true, resolve: (w) => w.signatureHmac?.signed ?? null }),
    timestampHeader: t.string({ nullable: true, resolve: (w) => w.signatureHmac?.timestampHeader ?? null }),
  }),
});

const SignatureInputRef = builder.inputType('WebhookSignatureInput', {
  description: 'A preset fills the HMAC fields; fields given beside it override it.',
  fields: (t) => ({
    scheme: t.field({ type: SignatureSchemeEnum, required: true }),
    preset: t.field({ type: HmacPresetEnum }),
    header: t.string(),
    algorithm: t.field({ type: HmacAlgorithmEnum }),
    encoding: t.field({ type: HmacEncodingEnum }),
    prefix: t.string(),
    signed: t.field({ type: HmacSignedEnum }),
    timestampHeader: t.string(),
  }),
});

const WebhookOrderingEnum = builder.enumType('WebhookOrdering', {
  values: {
    UNORDERED: { value: 'UNORDERED', description: 'Deliveries go out as they come due, up to maxInFlight at once.' },
    FIFO: {
      value: 'FIFO',
      description: 'One delivery at a time, in publish order: a failing delivery holds the ones behind it until it succeeds or exhausts its schedule. Pause, the circuit breaker and the deliveries switch hold the line without reordering it. maxInFlight is 1.',
    },
  } as const,
});

/** The entity fields of a signature input (Standard Webhooks when absent). */
function signatureFields(field: string, input: SignatureInput | null | undefined): { signatureScheme: SignatureScheme; signatureHmac: HmacHeader | null } {
  const { scheme, hmac } = checkSignatureScheme(field, input ?? { scheme: 'STANDARD_WEBHOOKS' });
  return { signatureScheme: scheme, signatureHmac: hmac };
}

/** A FIFO webhook sends one delivery at a time: its maxInFlight is 1, and may not be set otherwise. */
function checkOrdering(ordering: 'UNORDERED' | 'FIFO', maxInFlight: number | null | undefined, field: string): number | undefined {
  if (ordering !== 'FIFO') return maxInFlight ?? undefined;
  if (maxInFlight != null && maxInFlight !== 1) throw new ValidationError(field, 'a FIFO webhook sends one delivery at a time: leave maxInFlight out or set it to 1');
  return 1;
}

const CircuitStateEnum = builder.enumType('CircuitState', {
  values: {
    CLOSED: { value: 'CLOSED', description: 'Attempts go out as scheduled.' },
    OPEN: { value: 'OPEN', description: 'Too many failed attempts in a row: deliveries wait (without spending retries) until nextProbeAt.' },
    HALF_OPEN: { value: 'HALF_OPEN', description: 'The cool-down is over: one delivery probes the endpoint; a success closes the circuit, a failure opens it again for twice as long.' },
  } as const,
});

const WebhookCircuitRef = builder.objectRef<Webhook>('WebhookCircuit').implement({
  description: `After threshold failed attempts in a row the circuit opens: no attempts for a cool-down (HOOKYARD_CIRCUIT_COOLDOWN_SECONDS, 30 s by default, doubling with each reopening up to 1 h), then one probe. Any successful attempt closes it. The 410 and 5-day disable rules apply as well.`,
  fields: (t) => ({
    state: t.field({ type: CircuitStateEnum, resolve: (w) => w.circuitState }),
    threshold: t.int({ description: 'Failed attempts in a row that open the circuit.', resolve: (w) => w.circuitThreshold }),
    failures: t.int({ description: 'Failed attempts in a row so far.', resolve: (w) => w.circuitFailures }),
    openedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it last opened; null while closed.', resolve: (w) => (w.circuitState === 'CLOSED' ? null : (w.circuitOpenedAt ?? null)) }),
    nextProbeAt: t.field({ type: 'DateTime', nullable: true, description: 'When the probe goes (OPEN) or went (HALF_OPEN); null while closed.', resolve: (w) => (w.circuitState === 'CLOSED' ? null : (w.circuitNextProbeAt ?? null)) }),
  }),
});

const WebhookFilter = builder.inputType('WebhookFilter', {
  fields: (t) => ({
    integratorId: t.id(),
    status: t.field({ type: [WebhookStatusEnum] }),
    search: t.string({ description: 'Part of the name, description or URL, any case.' }),
  }),
});

builder.queryField('webhooks', (t) =>
  t.connection(
    {
      type: WebhookRef,
      args: { filter: t.arg({ type: WebhookFilter }) },
      resolve: (_root, args, ctx) => {
        const filter = args.filter ?? {};
        const search = optionalText('filter.search', filter.search, 200);
        const like = `%${escapeLike(search)}%`;
        return paginate(
          ctx.em,
          Webhook,
          {
            tenantId: ctx.viewer.tenantId,
            ...(filter.integratorId ? { integratorId: String(filter.integratorId) } : {}),
            ...(filter.status?.length ? { status: { $in: filter.status } } : {}),
            ...(search ? { $or: [{ name: { $ilike: like } }, { description: { $ilike: like } }, { url: { $ilike: like } }] } : {}),
          },
          args,
        ) as never;
      },
    },
    { name: 'WebhookConnection', fields: (c) => ({ totalCount: c.int({ resolve: (x) => (x as unknown as { totalCount: number }).totalCount }) }) },
  ),
);

// ---- inputs shared by create and update -------------------------------------------

async function checkSubscribedTypes(ctx: Context, patterns: string[]): Promise<string[]> {
  const { exact, wildcards } = checkEventTypePatterns('input.eventTypes', patterns);
  // Hookyard's own event types need no registration.
  const registered = exact.filter((name) => !isOperationalEventType(name));
  if (registered.length) {
    const known = await ctx.em.find(EventType, { tenantId: ctx.viewer.tenantId, name: { $in: registered } }, { fields: ['name'] });
    const missing = registered.filter((name) => !known.some((k) => k.name === name));
    if (missing.length) {
      throw new ValidationError('input.eventTypes', `event type ${missing.join(', ')} is not registered; register it first or use a wildcard`);
    }
  }
  return [...exact, ...wildcards];
}

function checkUrl(ctx: Context, url: string): string {
  const result = checkWebhookUrl(url.trim(), ctx.services.config.urlPolicy);
  if (!result.ok) throw new ValidationError('input.url', result.message);
  return result.url;
}

function checkHeaders(headers: unknown): Record<string, string> {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
    throw new ValidationError('input.headers', 'headers must be a JSON object of strings, e.g. {"x-tenant": "acme"}');
  }
  return headers as Record<string, string>;
}

/**
 * The webhook's secret headers after `changes` (a name with a value sets it, with null
 * removes it; names not given keep their stored value), encrypted; and both kinds of
 * header checked together, since they go out in one request.
 */
function checkAllHeaders(ctx: Context, headers: Record<string, string>, storedSecret: Record<string, string>, changes: unknown): Record<string, string> {
  if (changes != null && (typeof changes !== 'object' || Array.isArray(changes) || Object.values(changes).some((v) => v !== null && typeof v !== 'string'))) {
    throw new ValidationError('input.secretHeaders', 'secretHeaders must be a JSON object of strings (null removes one), e.g. {"authorization": "Bearer ..."}');
  }
  // Plain values of the new ones (to check them); kept ones need only a valid stand-in.
  const next = new Map(Object.keys(storedSecret).map((name) => [name, { stored: storedSecret[name], plain: 'kept' }]));
  for (const [name, value] of Object.entries((changes ?? {}) as Record<string, string | null>)) {
    for (const existing of next.keys()) if (existing.toLowerCase() === name.toLowerCase()) next.delete(existing);
    if (value !== null) next.set(name, { stored: '', plain: value });
  }
  const secretNames = new Set([...next.keys()].map((name) => name.toLowerCase()));
  const result = checkCustomHeaders({ ...headers, ...Object.fromEntries([...next].map(([name, { plain }]) => [name, plain])) });
  if (!result.ok) {
    const secret = secretNames.has(result.header.toLowerCase()) && !Object.keys(headers).some((name) => name.toLowerCase() === result.header.toLowerCase());
    throw new ValidationError(secret ? 'input.secretHeaders' : 'input.headers', result.message);
  }
  return Object.fromEntries([...next].map(([name, { stored, plain }]) => [name, stored || encryptSecret(plain, ctx.services.secretKey)]));
}

function checkSecret(secret: string | null | undefined): string {
  if (secret == null) return generateWebhookSecret();
  const problem = webhookSecretProblem(secret);
  if (problem) throw new ValidationError('input.secret', problem);
  return secret;
}

async function loadWebhook(ctx: Context, id: string): Promise<Webhook> {
  const webhook = await ctx.em.findOne(Webhook, { id, tenantId: ctx.viewer.tenantId });
  if (!webhook) throw new NotFoundError('webhook', id);
  return webhook;
}

function refuseDeleted(webhook: Webhook, action: string): void {
  if (webhook.status === 'DELETED') throw new ConflictError(`webhook ${webhook.id} is deleted and cannot be ${action}; create a new one`);
}

const WebhookPayload = builder.objectRef<{ webhook: Webhook }>('WebhookPayload').implement({
  fields: (f) => ({ webhook: f.field({ type: WebhookRef, resolve: (p) => p.webhook }) }),
});

const WebhookWithSecretPayload = builder.objectRef<{ webhook: Webhook; secret: string }>('WebhookWithSecretPayload').implement({
  fields: (f) => ({
    webhook: f.field({ type: WebhookRef, resolve: (p) => p.webhook }),
    secret: f.exposeString('secret', { description: 'The signing secret. Shown only here: store it now.' }),
  }),
});

// ---- mutations ------------------------------------------------------------------------

const CreateWebhookInput = builder.inputType('CreateWebhookInput', {
  fields: (t) => ({
    integratorId: t.id({ required: true }),
    name: t.string({ required: true }),
    description: t.string(),
    url: t.string({ required: true }),
    eventTypes: t.stringList({ required: true, description: 'Exact names (invoice.created) or wildcards (invoice.*, *).' }),
    channels: t.stringList({ description: 'Only events of these channels; empty or absent means all.' }),
    secret: t.string({
      description:
        'whsec_ + base64 of 24 to 64 bytes, or a plain secret of 32 to 64 printable ASCII characters (it signs with its UTF-8 bytes: ' +
        'receivers verify with new Webhook(secret, { format: "raw" })); generated (whsec_) when absent.',
    }),
    headers: t.field({ type: 'JSON', description: 'Custom headers, e.g. {"x-tenant": "acme"}.' }),
    secretHeaders: t.field({ type: 'JSON', description: 'Custom headers whose values are credentials, e.g. {"authorization": "Bearer ..."}: stored encrypted and never returned.' }),
    retrySchedule: t.intList({
      description:
        "Its own schedule: seconds before each retry. Absent: the event type's default schedule, else Hookyard's (5, 300, 1800, 7200, 18000, 36000, 36000).",
    }),
    timeoutSeconds: t.int({ description: `Per-attempt timeout, default ${DEFAULT_TIMEOUT_SECONDS}.` }),
    rateLimitPerSecond: t.int({ description: 'Deliveries per second; extra deliveries wait, none are dropped.' }),
    maxInFlight: t.int({ description: `Requests open at once to the endpoint at most, 1 to ${MAX_IN_FLIGHT_RANGE.max}; default ${MAX_IN_FLIGHT_RANGE.default}.` }),
    circuitThreshold: t.int({ description: `Failed attempts in a row that open the circuit, 1 to ${MAX_CIRCUIT_THRESHOLD}; default ${DEFAULT_CIRCUIT_THRESHOLD}.` }),
    ordering: t.field({ type: WebhookOrderingEnum, description: 'UNORDERED by default; FIFO sends one at a time in publish order.' }),
    bodyFormat: t.field({ type: BodyFormatEnum, description: 'CLOUDEVENTS_STRUCTURED by default.' }),
    sendTraceContext: t.boolean({ description: 'Send a W3C traceparent header with each attempt while tracing is on; true by default.' }),
    signature: t.field({ type: SignatureInputRef, description: 'STANDARD_WEBHOOKS by default.' }),
    filter: t.field({ type: 'JSON', description: 'A payload filter (see Webhook.filter); absent: every event of its types and channels.' }),
  }),
});

builder.mutationField('createWebhook', (t) =>
  t.field({
    type: WebhookWithSecretPayload,
    args: { input: t.arg({ type: CreateWebhookInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const integrator = await loadIntegrator(ctx, String(input.integratorId));
      const secret = checkSecret(input.secret);
      const fields = {
        name: requiredText('input.name', input.name),
        description: optionalText('input.description', input.description),
        url: checkUrl(ctx, input.url),
        eventTypes: await checkSubscribedTypes(ctx, input.eventTypes),
        channels: checkChannels('input.channels', input.channels ?? []),
        headers: checkHeaders(input.headers ?? {}),
        retryScheduleSeconds: input.retrySchedule != null ? checkRetrySchedule('input.retrySchedule', input.retrySchedule) : null,
        timeoutMs: checkTimeoutSeconds('input.timeoutSeconds', input.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000,
        rateLimitPerSecond: checkRateLimit('input.rateLimitPerSecond', input.rateLimitPerSecond ?? null),
        maxInFlight: checkMaxInFlight('input.maxInFlight', checkOrdering(input.ordering ?? 'UNORDERED', input.maxInFlight, 'input.maxInFlight') ?? MAX_IN_FLIGHT_RANGE.default),
        ordering: input.ordering ?? 'UNORDERED',
        circuitThreshold: checkCircuitThreshold('input.circuitThreshold', input.circuitThreshold ?? DEFAULT_CIRCUIT_THRESHOLD),
        bodyFormat: input.bodyFormat ?? 'CLOUDEVENTS_STRUCTURED',
        sendTraceContext: input.sendTraceContext ?? true,
        ...signatureFields('input.signature', input.signature),
        filter: input.filter != null ? checkFilter('input.filter', input.filter) : null,
      };
      const secretHeaders = checkAllHeaders(ctx, fields.headers, {}, input.secretHeaders);
      const webhook = await ctx.em.transactional(async (em) => {
        // Lock the tenant row so two concurrent creates cannot both pass the limit check.
        // (PESSIMISTIC_WRITE waits for the lock; the PARTIAL variant would skip the row.)
        const tenant = await em.findOneOrFail(Tenant, { id: ctx.viewer.tenantId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        const count = await em.count(Webhook, { tenantId: tenant.id, status: { $ne: 'DELETED' } });
        if (count >= tenant.webhookLimit) {
          throw new LimitExceededError(`this tenant has ${count} webhooks, its limit; delete one or raise the limit`, tenant.webhookLimit);
        }
        // A share lock on the integrator: a concurrent deleteIntegrator waits for this
        // webhook to commit (and then refuses), or commits first and we see it deleted.
        if (!(await em.findOne(Integrator, { id: integrator.id, deletedAt: null }, { lockMode: LockMode.PESSIMISTIC_READ }))) {
          throw new NotFoundError('integrator', integrator.id);
        }
        // One instant for createdAt and the history's "created" line, so they agree.
        const now = new Date();
        const created = em.create(Webhook, {
          id: newId('Webhook', now.getTime()),
          tenantId: tenant.id,
          integratorId: integrator.id,
          ...fields,
          secretHeaders,
          secretEncrypted: encryptSecret(signingSecret(secret), ctx.services.secretKey),
          status: 'ACTIVE',
          createdAt: now,
          updatedAt: now,
        });
        em.create(WebhookStatusChange, {
          id: newId('WebhookStatusChange'),
          tenantId: tenant.id,
          webhookId: created.id,
          fromStatus: null,
          toStatus: 'ACTIVE',
          reason: 'created',
          createdAt: now,
        });
        return created;
      });
      ctx.services.log.info({ webhookId: webhook.id, tenantId: webhook.tenantId }, 'webhook created');
      await notifyLiveUpdates(ctx.services.pool, [webhookUpdate(webhook)]);
      return { webhook, secret };
    },
  }),
);

const UpdateWebhookInput = builder.inputType('UpdateWebhookInput', {
  description: 'Fields left out are kept as they are. Secrets change through rotateWebhookSecret.',
  fields: (t) => ({
    id: t.id({ required: true }),
    name: t.string(),
    description: t.string(),
    url: t.string(),
    eventTypes: t.stringList(),
    channels: t.stringList(),
    headers: t.field({ type: 'JSON', description: 'Replaces the custom headers (not the secret ones).' }),
    secretHeaders: t.field({ type: 'JSON', description: 'A name with a value sets that secret header, with null removes it; secret headers not named are kept.' }),
    retrySchedule: t.intList({ description: "Its own schedule; null removes it (the event type's default, else Hookyard's, applies)." }),
    timeoutSeconds: t.int(),
    rateLimitPerSecond: t.int({ description: 'null removes the limit.' }),
    maxInFlight: t.int({ description: 'Applies to deliveries queued from now on.' }),
    circuitThreshold: t.int(),
    ordering: t.field({ type: WebhookOrderingEnum, description: 'FIFO applies at once, to deliveries already queued too (sets maxInFlight to 1).' }),
    bodyFormat: t.field({ type: BodyFormatEnum }),
    sendTraceContext: t.boolean({ description: 'Send a W3C traceparent header with each attempt while tracing is on.' }),
    signature: t.field({ type: SignatureInputRef, description: 'Replaces the signature scheme.' }),
    filter: t.field({ type: 'JSON', description: 'A new payload filter (see Webhook.filter); null removes it.' }),
  }),
});

builder.mutationField('updateWebhook', (t) =>
  t.field({
    type: WebhookPayload,
    args: { input: t.arg({ type: UpdateWebhookInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const webhook = await loadWebhook(ctx, String(input.id));
      refuseDeleted(webhook, 'edited');
      if (input.name != null) webhook.name = requiredText('input.name', input.name);
      if (input.description != null) webhook.description = optionalText('input.description', input.description);
      if (input.url != null) webhook.url = checkUrl(ctx, input.url);
      if (input.eventTypes != null) webhook.eventTypes = await checkSubscribedTypes(ctx, input.eventTypes);
      if (input.channels != null) webhook.channels = checkChannels('input.channels', input.channels);
      if (input.headers != null || input.secretHeaders != null) {
        const headers = input.headers != null ? checkHeaders(input.headers) : webhook.headers;
        webhook.secretHeaders = checkAllHeaders(ctx, headers, webhook.secretHeaders ?? {}, input.secretHeaders);
        webhook.headers = headers;
      }
      if (input.retrySchedule !== undefined) {
        webhook.retryScheduleSeconds = input.retrySchedule === null ? null : checkRetrySchedule('input.retrySchedule', input.retrySchedule);
      }
      if (input.timeoutSeconds != null) webhook.timeoutMs = checkTimeoutSeconds('input.timeoutSeconds', input.timeoutSeconds) * 1000;
      if (input.rateLimitPerSecond !== undefined) webhook.rateLimitPerSecond = checkRateLimit('input.rateLimitPerSecond', input.rateLimitPerSecond);
      if (input.ordering != null) webhook.ordering = input.ordering;
      if (input.bodyFormat != null) webhook.bodyFormat = input.bodyFormat;
      if (input.sendTraceContext != null) webhook.sendTraceContext = input.sendTraceContext;
      if (input.signature != null) Object.assign(webhook, signatureFields('input.signature', input.signature));
      const maxInFlight = checkOrdering(webhook.ordering, input.maxInFlight ?? (input.ordering === 'FIFO' ? null : undefined), 'input.maxInFlight');
      if (maxInFlight != null) webhook.maxInFlight = checkMaxInFlight('input.maxInFlight', maxInFlight);
      if (input.circuitThreshold != null) webhook.circuitThreshold = checkCircuitThreshold('input.circuitThreshold', input.circuitThreshold);
      if (input.filter !== undefined) webhook.filter = input.filter === null ? null : checkFilter('input.filter', input.filter);
      await ctx.em.flush();
      await notifyLiveUpdates(ctx.services.pool, [webhookUpdate(webhook)]);
      return { webhook };
    },
  }),
);

const WebhookActionInput = builder.inputType('WebhookActionInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    reason: t.string({ description: 'Kept in the webhook history.' }),
  }),
});

/**
 * Applies a status change in one transaction with its consequences, then returns the
 * fresh row. A webhook already in the target status is returned unchanged.
 */
async function applyTransition(ctx: Context, webhook: Webhook, from: WebhookStatus[], to: WebhookStatus, reason: string): Promise<Webhook> {
  if (webhook.status !== to) {
    await withTransaction(ctx.services.pool, (client) =>
      transitionWebhook(client, ctx.services.boss, { tenantId: webhook.tenantId, webhookId: webhook.id, from, to, reason }),
    );
  }
  return ctx.em.refreshOrFail(webhook);
}

builder.mutationField('pauseWebhook', (t) =>
  t.field({
    type: WebhookPayload,
    description: 'Holds new and pending deliveries until resumeWebhook. Pausing a paused webhook changes nothing.',
    args: { input: t.arg({ type: WebhookActionInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const webhook = await loadWebhook(ctx, String(input.id));
      refuseDeleted(webhook, 'paused');
      if (webhook.status === 'DISABLED') throw new ConflictError(`webhook ${webhook.id} is disabled (${webhook.statusReason}); resume it instead`);
      const reason = optionalText('input.reason', input.reason, 500) || 'paused';
      return { webhook: await applyTransition(ctx, webhook, ['ACTIVE'], 'PAUSED', reason) };
    },
  }),
);

builder.mutationField('resumeWebhook', (t) =>
  t.field({
    type: WebhookPayload,
    description: 'Makes a paused or disabled webhook active again and sends what it held. Resuming an active webhook changes nothing.',
    args: { input: t.arg({ type: WebhookActionInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const webhook = await loadWebhook(ctx, String(input.id));
      refuseDeleted(webhook, 'resumed');
      const reason = optionalText('input.reason', input.reason, 500) || 'resumed';
      return { webhook: await applyTransition(ctx, webhook, ['PAUSED', 'DISABLED'], 'ACTIVE', reason) };
    },
  }),
);

builder.mutationField('deleteWebhook', (t) =>
  t.field({
    type: WebhookPayload,
    description: 'Deletes for good: the webhook stays visible for history, never delivers again, and its open deliveries are cancelled.',
    args: { input: t.arg({ type: WebhookActionInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const webhook = await loadWebhook(ctx, String(input.id));
      refuseDeleted(webhook, 'deleted again');
      const reason = optionalText('input.reason', input.reason, 500) || 'deleted';
      return { webhook: await applyTransition(ctx, webhook, ['ACTIVE', 'PAUSED', 'DISABLED'], 'DELETED', reason) };
    },
  }),
);

const RotateWebhookSecretInput = builder.inputType('RotateWebhookSecretInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    secret: t.string({ description: 'The new secret, in either form createWebhook takes; generated (whsec_) when absent.' }),
  }),
});

builder.mutationField('rotateWebhookSecret', (t) =>
  t.field({
    type: WebhookWithSecretPayload,
    description:
      'Replaces the signing secret. Until previousSecretExpiresAt (24 hours after this rotation) every request is signed with two ' +
      'secrets: the new one and the one it replaced, so receivers can switch without missing a delivery. Only the last rotation ' +
      'counts: rotating again within those 24 hours signs with the newest secret and the one before it, and the older one stops ' +
      'signing at once. Concurrent rotations of one webhook take turns (each replaces the secret the previous one set), so none is lost.',
    args: { input: t.arg({ type: RotateWebhookSecretInput, required: true }) },
    errors: {},
    resolve: async (_root, { input }, ctx) => {
      requireAdmin(ctx);
      const secret = checkSecret(input.secret);
      const id = String(input.id);
      const webhook = await ctx.em.transactional(async (em) => {
        // Lock the row and read it fresh: a concurrent rotation waits here, then moves the
        // secret this one set to previous, instead of both replacing the same old one.
        const locked = await em.findOne(Webhook, { id, tenantId: ctx.viewer.tenantId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
        if (!locked) throw new NotFoundError('webhook', id);
        refuseDeleted(locked, 'rotated');
        locked.previousSecretEncrypted = locked.secretEncrypted;
        locked.previousSecretExpiresAt = new Date(Date.now() + SECRET_ROTATION_OVERLAP_MS);
        locked.secretEncrypted = encryptSecret(signingSecret(secret), ctx.services.secretKey);
        return locked;
      });
      await notifyLiveUpdates(ctx.services.pool, [webhookUpdate(webhook)]);
      ctx.services.log.info({ webhookId: webhook.id }, 'webhook secret rotated');
      return { webhook, secret };
    },
  }),
);


const FilterTestEventInput = builder.inputType('FilterTestEventInput', {
  description: 'An event to test a filter against, as publishEvent takes it.',
  fields: (t) => ({
    type: t.string({ required: true }),
    payload: t.field({ type: 'JSON', required: true, description: 'The event\'s data.' }),
    channel: t.string(),
    source: t.string({ description: 'Default hookyard, as at publish.' }),
  }),
});

const FilterTestResult = builder.objectRef<{ matched: boolean; condition: string; explanation: string; eventId: string | null }>('FilterTestResult').implement({
  description: 'Whether an event matches a filter, and the condition that decided.',
  fields: (t) => ({
    eventId: t.id({ nullable: true, description: 'The stored event tested (eventId); null for an event given in the call.', resolve: (r) => r.eventId }),
    matched: t.exposeBoolean('matched'),
    condition: t.exposeString('condition', {
      description: 'Where in the filter the deciding condition is, e.g. $or[1].data.amount.$gt; empty for an empty filter.',
    }),
    explanation: t.exposeString('explanation', { description: 'e.g. data.amount is 42, not greater than 100' }),
  }),
});

builder.queryField('testWebhookFilter', (t) =>
  t.field({
    type: FilterTestResult,
    description:
      'Tests a payload filter (see Webhook.filter) against an event given here or a stored one (eventId), exactly as publishing ' +
      'would: whether it matches, and which condition decided. A filter that could not be saved answers its ValidationError.',
    args: {
      filter: t.arg({ type: 'JSON', required: true }),
      event: t.arg({ type: FilterTestEventInput }),
      eventId: t.arg.id({ description: 'A stored event of this tenant, e.g. a recent one from the event log.' }),
    },
    errors: {},
    resolve: async (_root, args, ctx) => {
      if ((args.event == null) === (args.eventId == null)) throw new ValidationError('event', 'give either event (type, payload, channel, source) or eventId');
      if (args.event) {
        const e = args.event;
        return { ...testFilter('filter', args.filter, { type: e.type, channel: e.channel ?? null, source: e.source ?? 'hookyard', data: e.payload }), eventId: null };
      }
      const stored = await ctx.em.findOne(Event, { id: String(args.eventId), tenantId: ctx.viewer.tenantId });
      if (!stored) throw new NotFoundError('event', String(args.eventId));
      return { ...testFilter('filter', args.filter, { type: stored.type, channel: stored.channel ?? null, source: stored.source, data: stored.payload }), eventId: stored.id };
    },
  }),
);
