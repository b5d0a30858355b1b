import { Migration } from '@mikro-orm/migrations';

export class Migration20261128092742_response_body_encoding extends Migration {

  override name = 'Migration20261128092742_response_body_encoding';

  override up(): void | Promise<void> {
    this.addSql(`alter table "attempt" add "response_body_encoding" text not null default 'utf8';`);
    this.addSql(`alter table "attempt" add constraint "attempt_response_body_encoding_check" check ("response_body_encoding" in ('utf8', 'base64'));`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "attempt" drop constraint "attempt_response_body_encoding_check";`);
    this.addSql(`alter table "attempt" drop column "response_body_encoding";`);
  }

}
