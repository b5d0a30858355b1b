import { Migration } from '@mikro-orm/migrations';

// Mail hooks: a hook may ask for its mails' attachment contents in the item (off: name,
// type, size and SHA-256 only).
export class Migration20261128152300_mail_hooks extends Migration {

  override name = 'Migration20261128152300_mail_hooks';

  override up(): void | Promise<void> {
    this.addSql(`alter table "inbound_hook" add column "include_attachment_contents" boolean not null default false;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "inbound_hook" drop column "include_attachment_contents";`);
  }

}
