import { Migration } from '@mikro-orm/migrations';

/** Retention walks old events oldest first across tenants: an index that leads with created_at. */
export class Migration20261128130000_retention_index extends Migration {

  override name = 'Migration20261128130000_retention_index';

  override up(): void | Promise<void> {
    this.addSql(`create index "event_created_at_id_index" on "event" ("created_at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "event_created_at_id_index";`);
  }

}
