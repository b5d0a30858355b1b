import { Migration } from '@mikro-orm/migrations';

export class Migration20261122210133 extends Migration {

  override name = 'Migration20261122210133';

  override up(): void | Promise<void> {
    this.addSql(`create table "tenant" ("id" text not null, "name" text not null, "webhook_limit" int not null default 100, "deliveries_enabled" boolean not null default true, "created_at" timestamptz not null, primary key ("id"));`);

    this.addSql(`create table "integrator" ("id" text not null, "tenant_id" text not null, "name" text not null, "description" text not null default '', "contact_email" text null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "deleted_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "integrator_tenant_id_name_index" on "integrator" ("tenant_id", "name");`);

    this.addSql(`create table "event_type" ("id" text not null, "tenant_id" text not null, "name" text not null, "description" text not null default '', "payload_schema" jsonb null, "deprecated" boolean not null default false, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "event_type" add constraint "event_type_tenant_id_name_unique" unique ("tenant_id", "name");`);

    this.addSql(`create table "event_idempotency_key" ("tenant_id" text not null, "key" text not null, "event_id" text not null, "created_at" timestamptz not null, primary key ("tenant_id", "key"));`);
    this.addSql(`create index "event_idempotency_key_created_at_index" on "event_idempotency_key" ("created_at");`);

    this.addSql(`create table "event" ("id" text not null, "tenant_id" text not null, "type" text not null, "source" text not null, "channel" text null, "payload" jsonb not null, "idempotency_key" text null, "occurred_at" timestamptz not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "event_tenant_id_created_at_id_index" on "event" ("tenant_id", "created_at", "id");`);
    this.addSql(`create index "event_tenant_id_type_created_at_index" on "event" ("tenant_id", "type", "created_at");`);

    this.addSql(`create table "api_key" ("id" text not null, "tenant_id" text not null, "name" text not null, "role" text not null, "prefix" text not null, "token_hash" text not null, "created_at" timestamptz not null, "last_used_at" timestamptz null, "revoked_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "api_key_tenant_id_index" on "api_key" ("tenant_id");`);
    this.addSql(`alter table "api_key" add constraint "api_key_token_hash_unique" unique ("token_hash");`);

    this.addSql(`create table "webhook" ("id" text not null, "tenant_id" text not null, "integrator_id" text not null, "name" text not null, "description" text not null default '', "url" text not null, "event_types" text[] not null, "channels" text[] not null default '{}', "secret_encrypted" text not null, "previous_secret_encrypted" text null, "previous_secret_expires_at" timestamptz null, "headers" jsonb not null default '{}', "status" text not null default 'ACTIVE', "status_reason" text null, "retry_schedule_seconds" integer[] not null, "timeout_ms" int not null default 15000, "rate_limit_per_second" int null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "paused_at" timestamptz null, "disabled_at" timestamptz null, "deleted_at" timestamptz null, "last_success_at" timestamptz null, "failing_since" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "webhook_tenant_id_created_at_index" on "webhook" ("tenant_id", "created_at");`);
    this.addSql(`create index "webhook_tenant_id_integrator_id_index" on "webhook" ("tenant_id", "integrator_id");`);
    this.addSql(`create index "webhook_tenant_id_status_index" on "webhook" ("tenant_id", "status");`);

    this.addSql(`create table "delivery" ("id" text not null, "tenant_id" text not null, "event_id" text not null, "webhook_id" text not null, "integrator_id" text not null, "event_type" text not null, "status" text not null default 'PENDING', "succeeded" boolean generated always as (status = 'SUCCEEDED') stored not null, "attempt_count" int not null default 0, "last_attempt_at" timestamptz null, "next_attempt_at" timestamptz null, "delivered_at" timestamptz null, "last_response_status" int null, "last_error" text null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "delivery_tenant_id_created_at_id_index" on "delivery" ("tenant_id", "created_at", "id");`);
    this.addSql(`create index "delivery_tenant_id_delivered_at_id_index" on "delivery" ("tenant_id", "delivered_at", "id");`);
    this.addSql(`create index "delivery_tenant_id_last_attempt_at_id_index" on "delivery" ("tenant_id", "last_attempt_at", "id");`);
    this.addSql(`create index "delivery_tenant_id_attempt_count_id_index" on "delivery" ("tenant_id", "attempt_count", "id");`);
    this.addSql(`create index "delivery_tenant_id_succeeded_created_at_id_index" on "delivery" ("tenant_id", "succeeded", "created_at", "id");`);
    this.addSql(`create index "delivery_tenant_id_status_created_at_id_index" on "delivery" ("tenant_id", "status", "created_at", "id");`);
    this.addSql(`create index "delivery_tenant_id_webhook_id_created_at_id_index" on "delivery" ("tenant_id", "webhook_id", "created_at", "id");`);
    this.addSql(`create index "delivery_tenant_id_integrator_id_created_at_id_index" on "delivery" ("tenant_id", "integrator_id", "created_at", "id");`);
    this.addSql(`create index "delivery_tenant_id_event_type_created_at_id_index" on "delivery" ("tenant_id", "event_type", "created_at", "id");`);
    this.addSql(`create index "delivery_event_id_index" on "delivery" ("event_id");`);

    this.addSql(`create table "attempt" ("id" text not null, "tenant_id" text not null, "delivery_id" text not null, "webhook_id" text not null, "attempt_number" int not null, "trigger" text not null, "succeeded" boolean not null, "request_url" text not null, "request_method" text not null default 'POST', "request_headers" jsonb not null, "request_body" text not null, "response_status" int null, "response_headers" jsonb null, "response_body" text null, "response_truncated" boolean not null default false, "error_kind" text null, "error_message" text null, "duration_ms" int not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "attempt_tenant_id_delivery_id_created_at_index" on "attempt" ("tenant_id", "delivery_id", "created_at");`);
    this.addSql(`create index "attempt_tenant_id_webhook_id_created_at_index" on "attempt" ("tenant_id", "webhook_id", "created_at");`);
    this.addSql(`create index "attempt_tenant_id_created_at_id_index" on "attempt" ("tenant_id", "created_at", "id");`);

    this.addSql(`create table "webhook_status_change" ("id" text not null, "tenant_id" text not null, "webhook_id" text not null, "from_status" text null, "to_status" text not null, "reason" text not null, "created_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`create index "webhook_status_change_tenant_id_webhook_id_created_at_index" on "webhook_status_change" ("tenant_id", "webhook_id", "created_at");`);

    this.addSql(`alter table "integrator" add constraint "integrator_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "event_type" add constraint "event_type_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "event_idempotency_key" add constraint "event_idempotency_key_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "event" add constraint "event_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);

    this.addSql(`alter table "api_key" add constraint "api_key_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "api_key" add constraint "api_key_role_check" check ("role" in ('ADMIN', 'VIEWER'));`);

    this.addSql(`alter table "webhook" add constraint "webhook_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "webhook" add constraint "webhook_integrator_id_foreign" foreign key ("integrator_id") references "integrator" ("id");`);
    this.addSql(`alter table "webhook" add constraint "webhook_status_check" check ("status" in ('ACTIVE', 'PAUSED', 'DISABLED', 'DELETED'));`);

    this.addSql(`alter table "delivery" add constraint "delivery_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "delivery" add constraint "delivery_event_id_foreign" foreign key ("event_id") references "event" ("id") on delete cascade;`);
    this.addSql(`alter table "delivery" add constraint "delivery_webhook_id_foreign" foreign key ("webhook_id") references "webhook" ("id");`);
    this.addSql(`alter table "delivery" add constraint "delivery_integrator_id_foreign" foreign key ("integrator_id") references "integrator" ("id");`);
    this.addSql(`alter table "delivery" add constraint "delivery_status_check" check ("status" in ('PENDING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'CANCELLED'));`);

    this.addSql(`alter table "attempt" add constraint "attempt_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "attempt" add constraint "attempt_delivery_id_foreign" foreign key ("delivery_id") references "delivery" ("id") on delete cascade;`);
    this.addSql(`alter table "attempt" add constraint "attempt_trigger_check" check ("trigger" in ('SCHEDULED', 'MANUAL'));`);
    this.addSql(`alter table "attempt" add constraint "attempt_error_kind_check" check ("error_kind" in ('timeout', 'dns', 'refused', 'tls', 'reset', 'blocked', 'other'));`);

    this.addSql(`alter table "webhook_status_change" add constraint "webhook_status_change_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "webhook_status_change" add constraint "webhook_status_change_webhook_id_foreign" foreign key ("webhook_id") references "webhook" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_status_change" add constraint "webhook_status_change_from_status_check" check ("from_status" in ('ACTIVE', 'PAUSED', 'DISABLED', 'DELETED'));`);
    this.addSql(`alter table "webhook_status_change" add constraint "webhook_status_change_to_status_check" check ("to_status" in ('ACTIVE', 'PAUSED', 'DISABLED', 'DELETED'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "integrator" drop constraint "integrator_tenant_id_foreign";`);
    this.addSql(`alter table "event_type" drop constraint "event_type_tenant_id_foreign";`);
    this.addSql(`alter table "event_idempotency_key" drop constraint "event_idempotency_key_tenant_id_foreign";`);
    this.addSql(`alter table "event" drop constraint "event_tenant_id_foreign";`);
    this.addSql(`alter table "api_key" drop constraint "api_key_tenant_id_foreign";`);
    this.addSql(`alter table "webhook" drop constraint "webhook_tenant_id_foreign";`);
    this.addSql(`alter table "delivery" drop constraint "delivery_tenant_id_foreign";`);
    this.addSql(`alter table "attempt" drop constraint "attempt_tenant_id_foreign";`);
    this.addSql(`alter table "webhook_status_change" drop constraint "webhook_status_change_tenant_id_foreign";`);
    this.addSql(`alter table "webhook" drop constraint "webhook_integrator_id_foreign";`);
    this.addSql(`alter table "delivery" drop constraint "delivery_integrator_id_foreign";`);
    this.addSql(`alter table "delivery" drop constraint "delivery_event_id_foreign";`);
    this.addSql(`alter table "delivery" drop constraint "delivery_webhook_id_foreign";`);
    this.addSql(`alter table "webhook_status_change" drop constraint "webhook_status_change_webhook_id_foreign";`);
    this.addSql(`alter table "attempt" drop constraint "attempt_delivery_id_foreign";`);

    this.addSql(`drop table if exists "tenant" cascade;`);
    this.addSql(`drop table if exists "integrator" cascade;`);
    this.addSql(`drop table if exists "event_type" cascade;`);
    this.addSql(`drop table if exists "event_idempotency_key" cascade;`);
    this.addSql(`drop table if exists "event" cascade;`);
    this.addSql(`drop table if exists "api_key" cascade;`);
    this.addSql(`drop table if exists "webhook" cascade;`);
    this.addSql(`drop table if exists "delivery" cascade;`);
    this.addSql(`drop table if exists "attempt" cascade;`);
    this.addSql(`drop table if exists "webhook_status_change" cascade;`);
  }

}
