import { Migration } from '@mikro-orm/migrations';

/**
 * The delivery engine's isolation: each webhook's concurrency bound and circuit breaker,
 * manual attempts held while the tenant's deliveries are off, and the index the sweeper
 * reads open deliveries through.
 */
export class Migration20261128110000_delivery_isolation extends Migration {

  override name = 'Migration20261128110000_delivery_isolation';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook" add "max_in_flight" int not null default 10, add "circuit_threshold" int not null default 10, add "circuit_state" text not null default 'CLOSED', add "circuit_failures" int not null default 0, add "circuit_open_count" int not null default 0, add "circuit_opened_at" timestamptz null, add "circuit_next_probe_at" timestamptz null, add "circuit_probe_delivery_id" text null;`);
    this.addSql(`alter table "webhook" add constraint "webhook_circuit_state_check" check ("circuit_state" in ('CLOSED', 'OPEN', 'HALF_OPEN'));`);
    this.addSql(`alter table "webhook" add "ordering" text not null default 'UNORDERED';`);
    this.addSql(`alter table "webhook" add constraint "webhook_ordering_check" check ("ordering" in ('UNORDERED', 'FIFO'));`);
    this.addSql(`alter table "webhook" add "body_format" text not null default 'CLOUDEVENTS_STRUCTURED', add "signature_scheme" text not null default 'STANDARD_WEBHOOKS', add "signature_hmac" jsonb null;`);
    this.addSql(`alter table "webhook" add constraint "webhook_body_format_check" check ("body_format" in ('CLOUDEVENTS_STRUCTURED', 'CLOUDEVENTS_BINARY'));`);
    this.addSql(`alter table "webhook" add constraint "webhook_signature_scheme_check" check ("signature_scheme" in ('STANDARD_WEBHOOKS', 'HMAC_HEADER'));`);
    this.addSql(`create index "delivery_open_line_index" on "delivery" ("webhook_id", "created_at", "id") where status in ('PENDING', 'RETRYING');`);
    this.addSql(`alter table "delivery" add "manual_requested_at" timestamptz null, add "throttled_at" timestamptz null;`);
    this.addSql(`create index "delivery_open_next_attempt_index" on "delivery" ("next_attempt_at") where status in ('PENDING', 'RETRYING');`);
    this.addSql(`create index "delivery_manual_requested_index" on "delivery" ("tenant_id") where manual_requested_at is not null;`);
    this.addSql(`alter table "attempt" drop constraint "attempt_error_kind_check";`);
    this.addSql(`alter table "attempt" add constraint "attempt_error_kind_check" check ("error_kind" in ('timeout', 'dns', 'refused', 'tls', 'reset', 'blocked', 'headers_overflow', 'secret', 'signing', 'payload', 'unstorable', 'other'));`);
    // The request body is stored once, as the event: an attempt's null body is the event's envelope.
    this.addSql(`alter table "attempt" alter column "request_body" drop not null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`update "attempt" set "request_body" = '' where "request_body" is null;`);
    this.addSql(`alter table "attempt" alter column "request_body" set not null;`);
    this.addSql(`alter table "attempt" drop constraint "attempt_error_kind_check";`);
    this.addSql(`alter table "attempt" add constraint "attempt_error_kind_check" check ("error_kind" in ('timeout', 'dns', 'refused', 'tls', 'reset', 'blocked', 'other'));`);
    this.addSql(`drop index "delivery_open_line_index";`);
    this.addSql(`alter table "webhook" drop constraint "webhook_body_format_check", drop constraint "webhook_signature_scheme_check";`);
    this.addSql(`alter table "webhook" drop column "body_format", drop column "signature_scheme", drop column "signature_hmac";`);
    this.addSql(`alter table "webhook" drop constraint "webhook_ordering_check";`);
    this.addSql(`alter table "webhook" drop column "ordering";`);
    this.addSql(`drop index "delivery_manual_requested_index";`);
    this.addSql(`drop index "delivery_open_next_attempt_index";`);
    this.addSql(`alter table "delivery" drop column "manual_requested_at", drop column "throttled_at";`);
    this.addSql(`alter table "webhook" drop constraint "webhook_circuit_state_check";`);
    this.addSql(`alter table "webhook" drop column "max_in_flight", drop column "circuit_threshold", drop column "circuit_state", drop column "circuit_failures", drop column "circuit_open_count", drop column "circuit_opened_at", drop column "circuit_next_probe_at", drop column "circuit_probe_delivery_id";`);
  }

}
