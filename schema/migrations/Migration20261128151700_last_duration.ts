import { Migration } from '@mikro-orm/migrations';

// The last attempt's duration as a delivery column, so the log sorts and filters by it
// from an index (never attempted = -1, before every duration), like the HTTP status.
// Existing deliveries take it from their latest attempt.
export class Migration20261128151700_last_duration extends Migration {

  override name = 'Migration20261128151700_last_duration';

  override up(): void | Promise<void> {
    this.addSql(`alter table "delivery" add "last_duration_ms" int null;`);
    this.addSql(`update "delivery" d set "last_duration_ms" = a."duration_ms"
                   from (select distinct on ("delivery_id") "delivery_id", "duration_ms" from "attempt" order by "delivery_id", "created_at" desc, "id" desc) a
                  where a."delivery_id" = d."id";`);
    this.addSql(`create index "delivery_tenant_id_duration_sort_index" on "delivery" ("tenant_id", (coalesce("last_duration_ms", -1)), "created_at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "delivery_tenant_id_duration_sort_index";`);
    this.addSql(`alter table "delivery" drop column "last_duration_ms";`);
  }

}
