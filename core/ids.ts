import { randomBytes } from 'node:crypto';

/**
 * Prefixed, time-sortable ids (`whk_01JD…`): the prefix says what a row is, in
 * GraphQL, logs and URLs alike; the ULID body sorts by creation time, so the id
 * is a stable tie-breaker for keyset cursors.
 */
export const ID_PREFIXES = {
  Tenant: 'ten',
  ApiKey: 'key',
  Integrator: 'int',
  EventType: 'ety',
  Webhook: 'whk',
  WebhookStatusChange: 'whs',
  Event: 'evt',
  Delivery: 'dlv',
  Attempt: 'att',
  InboundHook: 'inh',
  InboundRequest: 'inr',
  BulkRetry: 'blk',
} as const;

export type IdType = keyof typeof ID_PREFIXES;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastRandom: number[] = [];

/**
 * A ULID: 10 characters of milliseconds, then 16 random ones. Within one millisecond
 * the random part counts up (the ULID spec's monotonic mode), so ids made by this
 * process sort in the order they were made, even when they share a millisecond.
 */
function ulid(now = Date.now()): string {
  let time = '';
  for (let i = 0, t = now; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  let digits: number[];
  if (now === lastTime && incremented(lastRandom)) {
    digits = lastRandom;
  } else {
    const random = randomBytes(16);
    digits = Array.from(random, (b) => b % 32);
    // Leave headroom so the count-up within a millisecond cannot overflow.
    digits[0] &= 0x0f;
  }
  lastTime = now;
  lastRandom = digits;
  return time + digits.map((d) => CROCKFORD[d]).join('');
}

/** Adds one to a base-32 digit list in place; false when it would overflow. */
function incremented(digits: number[]): boolean {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i] < 31) {
      digits[i]++;
      return true;
    }
    digits[i] = 0;
  }
  return false;
}

export function newId(type: IdType, now?: number): string {
  return `${ID_PREFIXES[type]}_${ulid(now)}`;
}

const TYPE_BY_PREFIX = new Map<string, IdType>(
  Object.entries(ID_PREFIXES).map(([type, prefix]) => [prefix, type as IdType]),
);

/** The type an id names, or null when the id has no known prefix or a malformed body. */
export function idType(id: string): IdType | null {
  const match = /^([a-z]{3})_[0-9A-HJKMNP-TV-Z]{26}$/.exec(id);
  return match ? (TYPE_BY_PREFIX.get(match[1]) ?? null) : null;
}
