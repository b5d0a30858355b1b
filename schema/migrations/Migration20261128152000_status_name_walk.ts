import { Migration } from '@mikro-orm/migrations';

// The delivery log filtered by status and sorted by webhook (integrator) name walks the
// names in order and reads each one's rows in that status from these indexes: a name
// without failures costs one probe instead of a scan of its whole history.
export class Migration20261128152000_status_name_walk extends Migration {

  override name = 'Migration20261128152000_status_name_walk';

  override up(): void | Promise<void> {
    this.addSql(`create index "delivery_tenant_id_status_webhook_id_created_at_id_index" on "delivery" ("tenant_id", "status", "webhook_id", "created_at", "id");`);
    this.addSql(`create index "delivery_tenant_id_status_integrator_id_created_at_id_index" on "delivery" ("tenant_id", "status", "integrator_id", "created_at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "delivery_tenant_id_status_integrator_id_created_at_id_index";`);
    this.addSql(`drop index "delivery_tenant_id_status_webhook_id_created_at_id_index";`);
  }

}
