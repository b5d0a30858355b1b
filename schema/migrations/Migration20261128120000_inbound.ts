import { Migration } from '@mikro-orm/migrations';

export class Migration20261128120000_inbound extends Migration {

  override name = 'Migration20261128120000_inbound';

  override up(): void | Promise<void> {
    this.addSql(`create table "inbound_hook" ("id" text not null, "tenant_id" text not null, "kind" text not null default 'HTTP', "name" text not null, "token" text not null, "event_type" text not null, "processing_mode" text not null default 'IMMEDIATE', "schedule_interval_seconds" int null, "schedule_batch_size" int null, "queue_limit" int not null default 10000, "data_structure" jsonb null, "data_structure_source" text null, "redetermine_pending" boolean not null default false, "validate_data_structure" boolean not null default false, "ip_allowlist" text[] not null default '{}', "rate_limit_per_second" int null default 30, "include_headers" boolean not null default false, "include_method" boolean not null default false, "json_passthrough" boolean not null default false, "response_status" int null, "response_body" text null, "response_headers" jsonb not null default '{}', "status" text not null default 'ACTIVE', "status_reason" text null, "failed_runs" int not null default 0, "last_run_at" timestamptz null, "last_request_at" timestamptz null, "unheard_since" timestamptz null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "expired_at" timestamptz null, "deleted_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "inbound_hook" add constraint "inbound_hook_token_unique" unique ("token");`);
    this.addSql(`create index "inbound_hook_tenant_id_created_at_index" on "inbound_hook" ("tenant_id", "created_at");`);
    this.addSql(`create index "inbound_hook_tenant_id_status_index" on "inbound_hook" ("tenant_id", "status");`);

    this.addSql(`create table "inbound_request" ("id" text not null, "tenant_id" text not null, "hook_id" text not null, "kind" text not null default 'HTTP', "received_at" timestamptz not null, "method" text not null, "url" text not null, "remote_address" text null, "headers" jsonb not null, "query" jsonb not null default '{}', "body" bytea null, "body_size" int not null, "parsed" jsonb null, "state" text not null, "status" text not null, "message" text null, "response_status" int not null, "response_headers" jsonb not null default '{}', "response_body" text not null default '', "event_id" text null, "processed_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "inbound_request_tenant_id_received_at_id_index" on "inbound_request" ("tenant_id", "received_at", "id");`);
    this.addSql(`create index "inbound_request_tenant_id_hook_id_received_at_id_index" on "inbound_request" ("tenant_id", "hook_id", "received_at", "id");`);

    // The queue: a hook's waiting items in arrival order (counted against the queue limit, taken by processing).
    this.addSql(`create index "inbound_request_queue_index" on "inbound_request" ("hook_id", "received_at", "id") where "state" = 'QUEUED';`);

    this.addSql(`alter table "inbound_hook" add constraint "inbound_hook_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "inbound_hook" add constraint "inbound_hook_kind_check" check ("kind" in ('HTTP', 'MAIL'));`);
    this.addSql(`alter table "inbound_hook" add constraint "inbound_hook_processing_mode_check" check ("processing_mode" in ('IMMEDIATE', 'SEQUENTIAL', 'SCHEDULED'));`);
    this.addSql(`alter table "inbound_hook" add constraint "inbound_hook_data_structure_source_check" check ("data_structure_source" in ('MANUAL', 'DETERMINED'));`);
    this.addSql(`alter table "inbound_hook" add constraint "inbound_hook_status_check" check ("status" in ('ACTIVE', 'STOPPED', 'EXPIRED', 'DELETED'));`);

    this.addSql(`alter table "inbound_request" add constraint "inbound_request_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
    this.addSql(`alter table "inbound_request" add constraint "inbound_request_hook_id_foreign" foreign key ("hook_id") references "inbound_hook" ("id") on delete cascade;`);
    this.addSql(`alter table "inbound_request" add constraint "inbound_request_kind_check" check ("kind" in ('HTTP', 'MAIL'));`);
    this.addSql(`alter table "inbound_request" add constraint "inbound_request_state_check" check ("state" in ('QUEUED', 'PROCESSED', 'FAILED', 'REFUSED'));`);
    this.addSql(`alter table "inbound_request" add constraint "inbound_request_status_check" check ("status" in ('SUCCESS', 'WARNING', 'ERROR'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "inbound_request" drop constraint "inbound_request_hook_id_foreign";`);

    this.addSql(`drop table if exists "inbound_hook" cascade;`);
    this.addSql(`drop table if exists "inbound_request" cascade;`);
  }

}
