import { Migration } from '@mikro-orm/migrations';

// retryDeliveries becomes a job with progress (issue 15): one row per bulk retry.
export class Migration20261128150000_bulk_retry extends Migration {

  override name = 'Migration20261128150000_bulk_retry';

  override up(): void | Promise<void> {
    this.addSql(`create table "bulk_retry" ("id" text not null, "tenant_id" text not null, "filter" jsonb not null, "state" text check ("state" in ('QUEUED', 'RUNNING', 'DONE', 'CANCELLED', 'FAILED')) not null default 'QUEUED', "total" int null, "done" int not null default 0, "failed" int not null default 0, "cursor" text null, "error" text null, "requested_by" text not null, "created_at" timestamptz not null, "started_at" timestamptz null, "finished_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "bulk_retry_tenant_id_created_at_id_index" on "bulk_retry" ("tenant_id", "created_at", "id");`);
    this.addSql(`alter table "bulk_retry" add constraint "bulk_retry_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "bulk_retry" cascade;`);
  }

}
