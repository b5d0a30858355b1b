// Imports every type module for its side effect, then builds the schema.
import { builder } from './builder.ts';
import './types/common.ts';
import './types/ApiKey.ts';
import './types/Viewer.ts';
import './types/Integrator.ts';
import './types/EventType.ts';
import './types/Webhook.ts';
import './types/Event.ts';
import './types/Attempt.ts';
import './types/Delivery.ts';
import './types/DeliveryLog.ts';
import './types/BulkRetry.ts';
import './types/EventLog.ts';
import './types/AttemptLog.ts';
import './types/WebhookUsage.ts';
import './types/LiveUpdates.ts';
import './types/InboundHook.ts';
import './types/InboundRequest.ts';

export const schema = builder.toSchema({ sortSchema: true });
