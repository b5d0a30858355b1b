// The explicit entity list MikroORM is configured with (no folder discovery).
import { TenantSchema } from './Tenant.ts';
import { ApiKeySchema } from './ApiKey.ts';
import { IntegratorSchema } from './Integrator.ts';
import { EventTypeSchema } from './EventType.ts';
import { WebhookSchema } from './Webhook.ts';
import { WebhookStatusChangeSchema } from './WebhookStatusChange.ts';
import { EventSchema } from './Event.ts';
import { EventIdempotencyKeySchema } from './EventIdempotencyKey.ts';
import { DeliverySchema } from './Delivery.ts';
import { AttemptSchema } from './Attempt.ts';
import { WebhookUsageSchema } from './WebhookUsage.ts';
import { InboundHookSchema } from './InboundHook.ts';
import { InboundRequestSchema } from './InboundRequest.ts';
import { BulkRetrySchema } from './BulkRetry.ts';

export const entities = [
  TenantSchema,
  ApiKeySchema,
  IntegratorSchema,
  EventTypeSchema,
  WebhookSchema,
  WebhookStatusChangeSchema,
  EventSchema,
  EventIdempotencyKeySchema,
  DeliverySchema,
  AttemptSchema,
  WebhookUsageSchema,
  InboundHookSchema,
  InboundRequestSchema,
  BulkRetrySchema,
];
