import { Migration } from '@mikro-orm/migrations';

export class Migration20261128090000 extends Migration {

  override name = 'Migration20261128090000';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook" add column "secret_headers" jsonb not null default '{}';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "webhook" drop column "secret_headers";`);
  }

}
