import { Migration } from '@mikro-orm/migrations';

export class Migration20261122211500 extends Migration {

  override name = 'Migration20261122211500';

  override up(): void | Promise<void> {
    this.addSql(`create table "webhook_usage" ("webhook_id" text not null, "bucket" timestamptz not null, "tenant_id" text not null, "throttled" int not null default 0, primary key ("webhook_id", "bucket"));`);
    this.addSql(`create index "webhook_usage_tenant_id_webhook_id_bucket_index" on "webhook_usage" ("tenant_id", "webhook_id", "bucket");`);
    this.addSql(`create index "webhook_usage_bucket_index" on "webhook_usage" ("bucket");`);

    this.addSql(`drop index "delivery_tenant_id_attempt_count_id_index";`);
    this.addSql(`drop index "delivery_tenant_id_delivered_at_id_index";`);
    this.addSql(`drop index "delivery_tenant_id_last_attempt_at_id_index";`);
    this.addSql(`create index "delivery_tenant_id_delivered_sort_index" on "delivery" ("tenant_id", (coalesce("delivered_at", 'infinity'::timestamptz)), "created_at", "id");`);
    this.addSql(`create index "delivery_tenant_id_last_attempt_sort_index" on "delivery" ("tenant_id", (coalesce("last_attempt_at", 'infinity'::timestamptz)), "created_at", "id");`);
    this.addSql(`create index "delivery_tenant_id_attempt_count_created_at_id_index" on "delivery" ("tenant_id", "attempt_count", "created_at", "id");`);

    this.addSql(`alter table "webhook_usage" add constraint "webhook_usage_webhook_id_foreign" foreign key ("webhook_id") references "webhook" ("id") on delete cascade;`);
    this.addSql(`alter table "webhook_usage" add constraint "webhook_usage_tenant_id_foreign" foreign key ("tenant_id") references "tenant" ("id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop table if exists "webhook_usage" cascade;`);

    this.addSql(`drop index "delivery_tenant_id_delivered_sort_index";`);
    this.addSql(`drop index "delivery_tenant_id_last_attempt_sort_index";`);
    this.addSql(`drop index "delivery_tenant_id_attempt_count_created_at_id_index";`);
    this.addSql(`create index "delivery_tenant_id_attempt_count_id_index" on "delivery" ("tenant_id", "attempt_count", "id");`);
    this.addSql(`create index "delivery_tenant_id_delivered_at_id_index" on "delivery" ("tenant_id", "delivered_at", "id");`);
    this.addSql(`create index "delivery_tenant_id_last_attempt_at_id_index" on "delivery" ("tenant_id", "last_attempt_at", "id");`);
  }

}
