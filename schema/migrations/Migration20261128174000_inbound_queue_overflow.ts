import { Migration } from '@mikro-orm/migrations';

// A queue limit lowered below the items already waiting keeps them: those past the limit
// hold slots at or above it (core/inbound/queue-slot.ts). When a queued item inside the
// limit leaves the queue (processed, failed, deleted), the oldest such overflow item takes
// its slot, in the same transaction: no slot inside the limit comes free while more items
// wait than the limit allows, so new requests are refused until fewer wait, however many
// arrive at once. SKIP LOCKED: two items leaving at once move two different overflow items.
export class Migration20261128174000_inbound_queue_overflow extends Migration {

  override name = 'Migration20261128174000_inbound_queue_overflow';

  override up(): void | Promise<void> {
    this.addSql(`create function inbound_queue_slot_freed() returns trigger language plpgsql as $$
declare
  hook_limit int;
begin
  select h.queue_limit into hook_limit from inbound_hook h where h.tenant_id = old.tenant_id and h.id = old.hook_id;
  if hook_limit is not null and old.queue_slot < hook_limit then
    update inbound_request set queue_slot = old.queue_slot
      where id = (select r.id from inbound_request r
        where r.tenant_id = old.tenant_id and r.hook_id = old.hook_id and r.state = 'QUEUED' and r.queue_slot >= hook_limit
        order by r.received_at, r.id limit 1 for update skip locked);
  end if;
  return null;
end $$;`);
    this.addSql(`create trigger "inbound_request_left_queue" after update of "state" on "inbound_request" for each row
      when (old."state" = 'QUEUED' and new."state" <> 'QUEUED' and old."queue_slot" is not null) execute function inbound_queue_slot_freed();`);
    this.addSql(`create trigger "inbound_request_deleted_from_queue" after delete on "inbound_request" for each row
      when (old."state" = 'QUEUED' and old."queue_slot" is not null) execute function inbound_queue_slot_freed();`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop trigger "inbound_request_deleted_from_queue" on "inbound_request";`);
    this.addSql(`drop trigger "inbound_request_left_queue" on "inbound_request";`);
    this.addSql(`drop function inbound_queue_slot_freed();`);
  }

}
