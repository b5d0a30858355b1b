import { Migration } from '@mikro-orm/migrations';

// The delivery log sorts and filters by the last response's HTTP status (no response = 0),
// in keyset pages like its other columns: an index led by tenant_id, ended by (created_at, id).
export class Migration20261128140000_http_status_sort extends Migration {

  override name = 'Migration20261128140000_http_status_sort';

  override up(): void | Promise<void> {
    this.addSql(`create index "delivery_tenant_id_http_status_sort_index" on "delivery" ("tenant_id", (coalesce("last_response_status", 0)), "created_at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "delivery_tenant_id_http_status_sort_index";`);
  }

}
