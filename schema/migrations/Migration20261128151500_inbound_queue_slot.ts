import { Migration } from '@mikro-orm/migrations';

// The inbound queue limit, exact under concurrency: each queued item holds a slot, unique
// per hook among QUEUED rows. Items already queued get slots in arrival order.
export class Migration20261128151500_inbound_queue_slot extends Migration {

  override name = 'Migration20261128151500_inbound_queue_slot';

  override up(): void | Promise<void> {
    this.addSql(`alter table "inbound_request" add column "queue_slot" int null;`);
    this.addSql(`update "inbound_request" r set "queue_slot" = q.slot from (select "id", row_number() over (partition by "hook_id" order by "received_at", "id") - 1 as slot from "inbound_request" where "state" = 'QUEUED') q where r."id" = q."id";`);
    this.addSql(`create unique index "inbound_request_queue_slot_unique" on "inbound_request" ("tenant_id", "hook_id", "queue_slot") where "state" = 'QUEUED';`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "inbound_request_queue_slot_unique";`);
    this.addSql(`alter table "inbound_request" drop column "queue_slot";`);
  }

}
