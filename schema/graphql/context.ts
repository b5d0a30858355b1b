import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from '../../core/auth/viewer.ts';
import type { LiveUpdates } from '../../core/live-updates/subscriptions.ts';
import { ForbiddenError } from '../../core/errors.ts';
import type { Services } from '../../core/services.ts';

export interface Context {
  /** Forked per request: no identity map is shared between requests. */
  em: EntityManager;
  viewer: Viewer;
  services: Services;
  /** Row changes from every process, for subscriptions (served by the API process). */
  live: LiveUpdates;
}

export function requireAdmin(ctx: Context): void {
  if (ctx.viewer.role !== 'ADMIN') throw new ForbiddenError();
}
