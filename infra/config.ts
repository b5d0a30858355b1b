import path from 'node:path';
import ipaddr from 'ipaddr.js';

/** A configuration value that cannot be used; `message` names the variable and what to do. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

export const ROLES = ['all', 'api', 'worker'] as const;
export type Role = (typeof ROLES)[number];
export type UrlPolicy = 'strict' | 'permissive';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface Config {
  databaseUrl: string | null;
  dataDir: string;
  embeddedPostgresPort: number;
  host: string;
  port: number;
  role: Role;
  secretKey: string | null;
  adminToken: string | null;
  urlPolicy: UrlPolicy;
  urlPolicyExplicit: boolean;
  retentionDays: number;
  webhookLimit: number;
  /** HOOKYARD_WEBHOOK_LIMIT is set: every start applies it, not only the first. */
  webhookLimitExplicit: boolean;
  payloadLimitBytes: number;
  logLevel: (typeof LOG_LEVELS)[number];
  production: boolean;
  /** How long a delivery job may run before another worker takes it over (a killed worker's jobs). */
  deliveryLeaseSeconds: number;
  /** Delivery jobs fetched at once at most. */
  workerBatchSize: number;
  /** HOOKYARD_WORKER_MAX_IN_FLIGHT: deliveries one worker process holds at once (requests open or being recorded). */
  workerMaxInFlight: number;
  /** HOOKYARD_CIRCUIT_COOLDOWN_SECONDS: a circuit's first cool-down; it doubles with each reopening, up to an hour. */
  circuitCooldownSeconds: number;
  /** How often an idle delivery loop looks for due jobs (retries; new ones wake it at once). */
  workerPollMs: number;
  /** HOOKYARD_METRICS_PORT: where a worker-only process (HOOKYARD_ROLE=worker) serves /metrics; unset, it serves none. The API serves /metrics on its own port. */
  metricsPort: number | null;
  /** HOOKYARD_JSON_DEPTH_LIMIT: how deeply a JSON value in a request (a payload, a schema) may nest objects and lists. */
  jsonDepthLimit: number;
  /** HOOKYARD_CORS_ORIGINS: the only origins (scheme://host[:port]) a browser may call the API from besides its own; none by default. */
  corsOrigins: string[];
  /** HOOKYARD_METRICS_TOKEN: the Bearer token every /metrics wants; null, /metrics is open. */
  metricsToken: string | null;
  /** graphql-ws limits: subscriptions open at once on one socket, sockets of one API key (per API process), messages a socket may send per second (bursts up to that many). */
  wsSubscriptionsPerSocket: number;
  wsSocketsPerKey: number;
  wsMessagesPerSecond: number;
  /** HOOKYARD_PUBLIC_URL: the address outsiders reach the API at, for inbound URLs (`<public URL>/in/<token>`); null: the API's own http://host:port. */
  publicUrl: string | null;
  /** HOOKYARD_INBOUND_BODY_LIMIT_BYTES: the largest body an inbound URL accepts (5 MiB); past it, 413. */
  inboundBodyLimitBytes: number;
  /** HOOKYARD_INBOUND_ANSWER_WAIT_MS: how long a hook that answers from processing waits for it (40 s); past it, 200 Accepted and the item is processed later. */
  inboundAnswerWaitMs: number;
  /** HOOKYARD_TRUSTED_PROXIES: CIDRs of reverse proxies whose X-Forwarded-For names the client (for inbound IP allowlists); none by default. */
  trustedProxies: string[];
  /** HOOKYARD_SMTP_PORT: where the API role listens for mail to mail hooks (2525, on HOST); 0: no SMTP listener. */
  smtpPort: number;
  /** HOOKYARD_MAIL_DOMAIN: the domain of mail hook addresses (`<token>@<domain>`), lower case; default the host of HOOKYARD_PUBLIC_URL, else localhost. */
  mailDomain: string;
  /** HOOKYARD_MAIL_SIZE_LIMIT_BYTES: the largest mail (headers and attachments included) the SMTP listener accepts (25 MiB); past it, 552. */
  mailSizeLimitBytes: number;
  /** HOOKYARD_SMTP_TLS_CERT and HOOKYARD_SMTP_TLS_KEY: PEM files for STARTTLS; null (both unset): no STARTTLS. */
  smtpTls: { certFile: string; keyFile: string } | null;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `"${raw}" is not a whole number from ${min} to ${max}; set it to e.g. ${fallback} or unset it`);
  }
  return value;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!allowed.includes(raw as T)) {
    throw new ConfigError(name, `"${raw}" is not one of ${allowed.join(', ')}; set one of those or unset it`);
  }
  return raw as T;
}

export const MIN_ADMIN_TOKEN_LENGTH = 16;
export const MAX_ADMIN_TOKEN_LENGTH = 200;

/**
 * HOOKYARD_ADMIN_TOKEN must be a token the API can accept: a Bearer header carries no
 * spaces, and keys longer than 200 characters are refused before any lookup. A short
 * one would be guessable, and its listed prefix would give most of it away.
 */
function adminToken(env: NodeJS.ProcessEnv): string | null {
  const raw = env.HOOKYARD_ADMIN_TOKEN;
  if (raw === undefined || raw === '') return null;
  // The value is a secret: say what is wrong with it without echoing it.
  if (!/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError('HOOKYARD_ADMIN_TOKEN', 'must be printable ASCII without spaces (it is sent as "Authorization: Bearer <token>"); e.g. hy_ followed by the output of "openssl rand -hex 24"');
  }
  if (raw.length < MIN_ADMIN_TOKEN_LENGTH || raw.length > MAX_ADMIN_TOKEN_LENGTH) {
    throw new ConfigError(
      'HOOKYARD_ADMIN_TOKEN',
      `must be ${MIN_ADMIN_TOKEN_LENGTH} to ${MAX_ADMIN_TOKEN_LENGTH} characters, not ${raw.length}; e.g. hy_ followed by the output of "openssl rand -hex 24"`,
    );
  }
  return raw;
}

/** HOOKYARD_METRICS_TOKEN: a Bearer token Prometheus sends; the same rules as the admin token. */
function metricsToken(env: NodeJS.ProcessEnv): string | null {
  const raw = env.HOOKYARD_METRICS_TOKEN;
  if (raw === undefined || raw === '') return null;
  // A secret: say what is wrong without echoing it.
  if (!/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError('HOOKYARD_METRICS_TOKEN', 'must be printable ASCII without spaces (Prometheus sends it as "Authorization: Bearer <token>"); e.g. the output of "openssl rand -hex 24"');
  }
  if (raw.length < MIN_ADMIN_TOKEN_LENGTH || raw.length > MAX_ADMIN_TOKEN_LENGTH) {
    throw new ConfigError('HOOKYARD_METRICS_TOKEN', `must be ${MIN_ADMIN_TOKEN_LENGTH} to ${MAX_ADMIN_TOKEN_LENGTH} characters, not ${raw.length}; e.g. the output of "openssl rand -hex 24"`);
  }
  return raw;
}

/**
 * HOOKYARD_CORS_ORIGINS: comma-separated origins, each exactly as a browser sends it in
 * its Origin header (`https://dash.example.com`, `http://localhost:5173`): no path, no
 * trailing slash, no wildcard. Unset or empty: no cross-origin access at all.
 */
function corsOrigins(env: NodeJS.ProcessEnv): string[] {
  const raw = env.HOOKYARD_CORS_ORIGINS;
  if (raw === undefined || raw.trim() === '') return [];
  const origins = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of origins) {
    if (entry.includes('*')) {
      throw new ConfigError('HOOKYARD_CORS_ORIGINS', `"${entry}" is a wildcard; list each origin that may call the API, e.g. https://dash.example.com,http://localhost:5173`);
    }
    let origin: string | null = null;
    try {
      const url = new URL(entry);
      origin = ['http:', 'https:'].includes(url.protocol) ? url.origin : null;
    } catch {
      origin = null;
    }
    if (origin !== entry) {
      throw new ConfigError(
        'HOOKYARD_CORS_ORIGINS',
        `"${entry.slice(0, 100)}" is not an origin; write each as scheme://host[:port] with no path or trailing slash${origin ? ` (here: ${origin})` : ''}, separated by commas`,
      );
    }
  }
  return [...new Set(origins)];
}

/** HOOKYARD_PUBLIC_URL: an http(s) origin, optionally with a path prefix, without a trailing slash. */
function publicUrl(env: NodeJS.ProcessEnv): string | null {
  const raw = env.HOOKYARD_PUBLIC_URL?.trim();
  if (!raw) return null;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    url = null;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new ConfigError('HOOKYARD_PUBLIC_URL', `"${raw.slice(0, 100)}" is not an http(s) URL without query or credentials; e.g. https://hooks.example.com`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** HOOKYARD_TRUSTED_PROXIES: comma-separated CIDRs (or single addresses), IPv4 or IPv6. */
function trustedProxies(env: NodeJS.ProcessEnv): string[] {
  const raw = env.HOOKYARD_TRUSTED_PROXIES;
  if (raw === undefined || raw.trim() === '') return [];
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const cidr = entry.includes('/') ? entry : `${entry}/${ipaddr.isValid(entry) && ipaddr.parse(entry).kind() === 'ipv6' ? 128 : 32}`;
      try {
        ipaddr.parseCIDR(cidr);
      } catch {
        throw new ConfigError('HOOKYARD_TRUSTED_PROXIES', `"${entry.slice(0, 100)}" is not an IP address or CIDR; list your proxies' addresses, e.g. 10.0.0.0/8,fd00::/8`);
      }
      return cidr;
    });
}

/** A DNS name: labels of letters, digits and hyphens (no leading or trailing hyphen), dot-separated, at most 253 characters. */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** HOOKYARD_MAIL_DOMAIN: a host name mail can be addressed to; default the public URL's host, else localhost. */
function mailDomain(env: NodeJS.ProcessEnv, publicUrlValue: string | null): string {
  const raw = env.HOOKYARD_MAIL_DOMAIN?.trim();
  if (!raw) {
    const host = publicUrlValue ? new URL(publicUrlValue).hostname : '';
    return DOMAIN.test(host) ? host : 'localhost';
  }
  const domain = raw.toLowerCase().replace(/\.$/, '');
  if (!DOMAIN.test(domain)) {
    throw new ConfigError('HOOKYARD_MAIL_DOMAIN', `"${raw.slice(0, 100)}" is not a domain name; set the domain whose MX points at Hookyard, e.g. hooks.example.com (no @, no port)`);
  }
  return domain;
}

/** HOOKYARD_SMTP_TLS_CERT and HOOKYARD_SMTP_TLS_KEY: both (PEM file paths) or neither. */
function smtpTls(env: NodeJS.ProcessEnv): Config['smtpTls'] {
  const cert = env.HOOKYARD_SMTP_TLS_CERT?.trim();
  const key = env.HOOKYARD_SMTP_TLS_KEY?.trim();
  if (!cert && !key) return null;
  if (!cert) throw new ConfigError('HOOKYARD_SMTP_TLS_CERT', 'HOOKYARD_SMTP_TLS_KEY is set but not the certificate; set both to PEM files (certificate chain and private key) for STARTTLS, or neither');
  if (!key) throw new ConfigError('HOOKYARD_SMTP_TLS_KEY', 'HOOKYARD_SMTP_TLS_CERT is set but not the private key; set both to PEM files (certificate chain and private key) for STARTTLS, or neither');
  return { certFile: path.resolve(cert), keyFile: path.resolve(key) };
}

/** Reads and checks every setting once at start, so a bad value fails fast with one clear line. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const production = env.NODE_ENV === 'production';
  const databaseUrl = env.DATABASE_URL || null;
  if (databaseUrl !== null) {
    let parsed: URL | null = null;
    try {
      parsed = new URL(databaseUrl);
    } catch {
      parsed = null;
    }
    if (!parsed || !['postgres:', 'postgresql:'].includes(parsed.protocol)) {
      throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL (e.g. postgresql://user:pass@host:5432/hookyard), or unset it to use the embedded PostgreSQL');
    }
  }
  const urlPolicyRaw = env.HOOKYARD_URL_POLICY;
  const publicUrlValue = publicUrl(env);
  return {
    databaseUrl,
    dataDir: path.resolve(env.HOOKYARD_DATA_DIR || '.hookyard'),
    embeddedPostgresPort: integer(env, 'HOOKYARD_EMBEDDED_PG_PORT', 54329, 1, 65535),
    host: env.HOST || '127.0.0.1',
    port: integer(env, 'PORT', 4000, 0, 65535),
    role: oneOf(env, 'HOOKYARD_ROLE', ROLES, 'all'),
    secretKey: env.HOOKYARD_SECRET_KEY || null,
    adminToken: adminToken(env),
    urlPolicy: oneOf<UrlPolicy>(env, 'HOOKYARD_URL_POLICY', ['strict', 'permissive'], production ? 'strict' : 'permissive'),
    urlPolicyExplicit: Boolean(urlPolicyRaw),
    retentionDays: integer(env, 'HOOKYARD_RETENTION_DAYS', 7, 1, 3650),
    webhookLimit: integer(env, 'HOOKYARD_WEBHOOK_LIMIT', 100, 1, 100_000),
    webhookLimitExplicit: Boolean(env.HOOKYARD_WEBHOOK_LIMIT),
    payloadLimitBytes: integer(env, 'HOOKYARD_PAYLOAD_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    production,
    deliveryLeaseSeconds: integer(env, 'HOOKYARD_DELIVERY_LEASE_SECONDS', 120, 5, 3600),
    workerBatchSize: integer(env, 'HOOKYARD_WORKER_BATCH_SIZE', 200, 1, 500),
    workerMaxInFlight: integer(env, 'HOOKYARD_WORKER_MAX_IN_FLIGHT', 200, 1, 5000),
    circuitCooldownSeconds: integer(env, 'HOOKYARD_CIRCUIT_COOLDOWN_SECONDS', 30, 1, 3600),
    // pg-boss polls at most every 500 ms.
    workerPollMs: integer(env, 'HOOKYARD_WORKER_POLL_MS', 500, 500, 60_000),
    metricsPort: env.HOOKYARD_METRICS_PORT ? integer(env, 'HOOKYARD_METRICS_PORT', 9464, 0, 65535) : null,
    jsonDepthLimit: integer(env, 'HOOKYARD_JSON_DEPTH_LIMIT', 100, 2, 1000),
    corsOrigins: corsOrigins(env),
    metricsToken: metricsToken(env),
    wsSubscriptionsPerSocket: integer(env, 'HOOKYARD_WS_SUBSCRIPTIONS_PER_SOCKET', 100, 1, 10_000),
    wsSocketsPerKey: integer(env, 'HOOKYARD_WS_SOCKETS_PER_KEY', 50, 1, 10_000),
    wsMessagesPerSecond: integer(env, 'HOOKYARD_WS_MESSAGES_PER_SECOND', 100, 1, 10_000),
    publicUrl: publicUrlValue,
    inboundBodyLimitBytes: integer(env, 'HOOKYARD_INBOUND_BODY_LIMIT_BYTES', 5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    trustedProxies: trustedProxies(env),
    inboundAnswerWaitMs: integer(env, 'HOOKYARD_INBOUND_ANSWER_WAIT_MS', 40_000, 1, 600_000),
    smtpPort: integer(env, 'HOOKYARD_SMTP_PORT', 2525, 0, 65535),
    mailDomain: mailDomain(env, publicUrlValue),
    mailSizeLimitBytes: integer(env, 'HOOKYARD_MAIL_SIZE_LIMIT_BYTES', 25 * 1024 * 1024, 1024, 100 * 1024 * 1024),
    smtpTls: smtpTls(env),
  };
}
