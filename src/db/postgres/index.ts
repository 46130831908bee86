// PostgreSQL behind the database seam (src/db/sql.ts): what the wiring needs.
export { openPostgres, PgDatabase, type PgOptions } from './database'
export { DatabaseStartupError, DatabaseUnavailableError, isDatabaseUnavailable, redactUrl } from './errors'
export { PgLivePolicies, type PgLivePoliciesOptions } from './live-policies'
export { lockAcrossHosts } from './host-lock'
export { migratePostgres, postgresSchemaVersion, POSTGRES_MIGRATIONS_DIR } from './migrate'
export { CHANGES_CHANNEL, notifyChange, type ChangeNotice } from './notices'
