import { Migration } from '@mikro-orm/migrations';

// Issue 18: an inbound hook's data may be confidential (each request keeps a copy of the
// flag, so processing deletes its data even if the hook's setting changes meanwhile), and
// an IMMEDIATE hook may answer with the result of processing.
export class Migration20261128150500_inbound_confidential_answer extends Migration {

  override name = 'Migration20261128150500_inbound_confidential_answer';

  override up(): void | Promise<void> {
    this.addSql(`alter table "inbound_hook" add column "answer_mode" text not null default 'STATIC', add column "failure_response_body" text null, add column "confidential" boolean not null default false;`);
    this.addSql(`alter table "inbound_hook" add constraint "inbound_hook_answer_mode_check" check ("answer_mode" in ('STATIC', 'FROM_PROCESSING'));`);
    this.addSql(`alter table "inbound_request" add column "confidential" boolean not null default false;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "inbound_request" drop column "confidential";`);
    this.addSql(`alter table "inbound_hook" drop constraint "inbound_hook_answer_mode_check";`);
    this.addSql(`alter table "inbound_hook" drop column "answer_mode", drop column "failure_response_body", drop column "confidential";`);
  }

}
