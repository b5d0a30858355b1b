import type { EntityManager } from '@mikro-orm/postgresql';
import type { PgBoss } from 'pg-boss';
import type pg from 'pg';
import type { ApiKeyRole } from '../entities/ApiKey.ts';
import type { Config } from '../../infra/config.ts';
import type { Logger } from '../../infra/logger.ts';
import type { LiveFeed } from '../../core/live-updates/live-feed.ts';
import { ForbiddenError } from '../../core/errors.ts';
import type { Publisher } from '../../core/publishing/publisher.ts';

/** Who is calling: resolved from the bearer token before any resolver runs. */
export interface Viewer {
  tenantId: string;
  role: ApiKeyRole;
  apiKeyId: string;
}

/** Process-wide dependencies shared by every request. */
export interface Services {
  config: Config;
  pool: pg.Pool;
  boss: PgBoss;
  log: Logger;
  secretKey: Buffer;
  /** Publishes events; concurrent calls of a tenant share transactions. */
  publisher: Publisher;
}

export interface Context {
  /** Forked per request: no identity map is shared between requests. */
  em: EntityManager;
  viewer: Viewer;
  services: Services;
  /** Row changes from every process, for subscriptions (served by the API process). */
  live: LiveFeed;
}

export function requireAdmin(ctx: Context): void {
  if (ctx.viewer.role !== 'ADMIN') throw new ForbiddenError();
}
