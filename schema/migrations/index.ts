import { Migration20261128151637_trace_context } from './Migration20261128151637_trace_context.ts';
import { Migration20261128151500_inbound_queue_slot } from './Migration20261128151500_inbound_queue_slot.ts';
import { Migration20261128150500_inbound_confidential_answer } from './Migration20261128150500_inbound_confidential_answer.ts';
import { Migration20261128152300_mail_hooks } from './Migration20261128152300_mail_hooks.ts';
import { Migration20261128153000_attempt_log_filters } from './Migration20261128153000_attempt_log_filters.ts';
import { Migration20261128152000_status_name_walk } from './Migration20261128152000_status_name_walk.ts';
import { Migration20261128151700_last_duration } from './Migration20261128151700_last_duration.ts';
import { Migration20261128131000_filters_and_type_schedules } from './Migration20261128131000_filters_and_type_schedules.ts';
import { Migration20261128130000_retention_index } from './Migration20261128130000_retention_index.ts';
import { Migration20261128110000_delivery_isolation } from './Migration20261128110000_delivery_isolation.ts';
import { Migration20261128120000_inbound } from './Migration20261128120000_inbound.ts';
import { Migration20261128150000_bulk_retry } from './Migration20261128150000_bulk_retry.ts';
import { Migration20261128140000_http_status_sort } from './Migration20261128140000_http_status_sort.ts';
import { Migration20261128092742_response_body_encoding } from './Migration20261128092742_response_body_encoding.ts';
import { Migration20261128090000 } from './Migration20261128090000.ts';
import { Migration20261122211500 } from './Migration20261122211500.ts';
import { Migration20261122210133 } from './Migration20261122210133.ts';
// Every migration, in order. `npm run migration:create` appends new ones here.
export const migrationsList = [
  { name: 'Migration20261122210133', class: Migration20261122210133 },
  { name: 'Migration20261122211500', class: Migration20261122211500 },
  { name: 'Migration20261128090000', class: Migration20261128090000 },
  { name: 'Migration20261128092742_response_body_encoding', class: Migration20261128092742_response_body_encoding },
  { name: 'Migration20261128110000_delivery_isolation', class: Migration20261128110000_delivery_isolation },
  { name: 'Migration20261128120000_inbound', class: Migration20261128120000_inbound },
  { name: 'Migration20261128130000_retention_index', class: Migration20261128130000_retention_index },
  { name: 'Migration20261128131000_filters_and_type_schedules', class: Migration20261128131000_filters_and_type_schedules },
  { name: 'Migration20261128140000_http_status_sort', class: Migration20261128140000_http_status_sort },
  { name: 'Migration20261128150000_bulk_retry', class: Migration20261128150000_bulk_retry },
  { name: 'Migration20261128150500_inbound_confidential_answer', class: Migration20261128150500_inbound_confidential_answer },
  { name: 'Migration20261128151500_inbound_queue_slot', class: Migration20261128151500_inbound_queue_slot },
  { name: 'Migration20261128151637_trace_context', class: Migration20261128151637_trace_context },
  { name: 'Migration20261128151700_last_duration', class: Migration20261128151700_last_duration },
  { name: 'Migration20261128152000_status_name_walk', class: Migration20261128152000_status_name_walk },
  { name: 'Migration20261128152300_mail_hooks', class: Migration20261128152300_mail_hooks },
  { name: 'Migration20261128153000_attempt_log_filters', class: Migration20261128153000_attempt_log_filters },
];
