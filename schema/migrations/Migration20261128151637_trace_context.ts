import { Migration } from '@mikro-orm/migrations';

// OpenTelemetry (infra/trace.ts): the traceparent a delivery's attempts and an inbound
// request's event join, and each webhook's choice to send traceparent to its receiver.
export class Migration20261128151637_trace_context extends Migration {

  override name = 'Migration20261128151637_trace_context';

  override up(): void | Promise<void> {
    this.addSql(`alter table "delivery" add column "trace_parent" text null;`);
    this.addSql(`alter table "inbound_request" add column "trace_parent" text null;`);
    this.addSql(`alter table "webhook" add column "send_trace_context" boolean not null default true;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "delivery" drop column "trace_parent";`);
    this.addSql(`alter table "inbound_request" drop column "trace_parent";`);
    this.addSql(`alter table "webhook" drop column "send_trace_context";`);
  }

}
