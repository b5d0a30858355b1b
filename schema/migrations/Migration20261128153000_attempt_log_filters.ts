import { Migration } from '@mikro-orm/migrations';

// The attempts log filters like the delivery log: the delivery's integrator and event type
// are copied onto each attempt (existing attempts from their delivery), and every filter
// has an index led by tenant_id and ended by the log's order (created_at, id).
export class Migration20261128153000_attempt_log_filters extends Migration {

  override name = 'Migration20261128153000_attempt_log_filters';

  override up(): void | Promise<void> {
    this.addSql(`alter table "attempt" add "integrator_id" text null, add "event_type" text null;`);
    this.addSql(`update "attempt" a set "integrator_id" = d."integrator_id", "event_type" = d."event_type" from "delivery" d where d."id" = a."delivery_id";`);
    this.addSql(`create index "attempt_tenant_id_integrator_id_created_at_id_index" on "attempt" ("tenant_id", "integrator_id", "created_at", "id");`);
    this.addSql(`create index "attempt_tenant_id_event_type_created_at_id_index" on "attempt" ("tenant_id", "event_type", "created_at", "id");`);
    this.addSql(`create index "attempt_tenant_id_trigger_created_at_id_index" on "attempt" ("tenant_id", "trigger", "created_at", "id");`);
    this.addSql(`create index "attempt_tenant_id_succeeded_created_at_id_index" on "attempt" ("tenant_id", "succeeded", "created_at", "id");`);
    this.addSql(`create index "attempt_tenant_id_error_kind_created_at_id_index" on "attempt" ("tenant_id", "error_kind", "created_at", "id");`);
    this.addSql(`create index "attempt_tenant_id_http_status_index" on "attempt" ("tenant_id", (coalesce("response_status", 0)), "created_at", "id");`);
  }

  override down(): void | Promise<void> {
    this.addSql(`drop index "attempt_tenant_id_http_status_index";`);
    this.addSql(`drop index "attempt_tenant_id_error_kind_created_at_id_index";`);
    this.addSql(`drop index "attempt_tenant_id_succeeded_created_at_id_index";`);
    this.addSql(`drop index "attempt_tenant_id_trigger_created_at_id_index";`);
    this.addSql(`drop index "attempt_tenant_id_event_type_created_at_id_index";`);
    this.addSql(`drop index "attempt_tenant_id_integrator_id_created_at_id_index";`);
    this.addSql(`alter table "attempt" drop column "integrator_id", drop column "event_type";`);
  }

}
