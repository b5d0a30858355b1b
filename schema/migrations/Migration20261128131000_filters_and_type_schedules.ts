import { Migration } from '@mikro-orm/migrations';

/**
 * Payload filters per webhook, and retry schedules per event type: a webhook without its
 * own schedule (null) uses its event type's, else Hookyard's default. Existing webhooks
 * keep the schedule they have.
 */
export class Migration20261128131000_filters_and_type_schedules extends Migration {

  override name = 'Migration20261128131000_filters_and_type_schedules';

  override up(): void | Promise<void> {
    this.addSql(`alter table "webhook" add "filter" jsonb null;`);
    this.addSql(`alter table "webhook" alter column "retry_schedule_seconds" drop not null;`);
    this.addSql(`alter table "event_type" add "retry_schedule_seconds" integer[] null;`);
  }

  override down(): void | Promise<void> {
    this.addSql(`alter table "event_type" drop column "retry_schedule_seconds";`);
    this.addSql(`update "webhook" set "retry_schedule_seconds" = '{5,300,1800,7200,18000,36000,36000}' where "retry_schedule_seconds" is null;`);
    this.addSql(`alter table "webhook" alter column "retry_schedule_seconds" set not null;`);
    this.addSql(`alter table "webhook" drop column "filter";`);
  }

}
