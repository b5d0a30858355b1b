// SQL of the health check: cheap questions that need a working database to answer.

export function ping() {
  return { text: 'select 1', values: [] };
}

/** Whether pg-boss's job table exists in its schema (the queue is installed). */
export function queueInstalled(bossSchema: string) {
  return { text: 'select 1 from information_schema.tables where table_schema = $1 and table_name = $2', values: [bossSchema, 'job'] };
}
