// The process-wide dependencies that API requests and exports use.
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { Config } from '../infra/config.ts';
import type { Logger } from '../infra/logger.ts';
import type { Publisher } from './publishing/publisher.ts';

/** Process-wide dependencies shared by every request. */
export interface Services {
  config: Config;
  pool: pg.Pool;
  boss: PgBoss;
  log: Logger;
  secretKey: Buffer;
  /** Publishes events; concurrent calls of a tenant share transactions. */
  publisher: Publisher;
  /** Where outsiders reach this API (inbound URLs): HOOKYARD_PUBLIC_URL, else set by the API once it listens. */
  inboundBaseUrl?: string;
}
