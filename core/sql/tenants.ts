// SQL of tenants.

/**
 * Serialises first-start bootstraps of processes that share a database, for the rest of
 * the calling transaction: only one creates the default tenant.
 */
export function lockBootstrap() {
  return { text: 'select pg_advisory_xact_lock(72710002)', values: [] };
}
