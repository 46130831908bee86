import type { SqlExecutor } from '../sql'

/** Advisory lock keys of our own, one per kind of start-up work ("CRS" + a digit). */
const HOST_LOCK_KEYS = { seed: 0x43525331 } as const

/**
 * Makes the rest of `tx`'s transaction wait for any other host's transaction
 * holding the same lock, released at its commit or rollback. Start-up work
 * that reads then writes (the bootstrap token, the demo seed) needs it on
 * PostgreSQL: READ COMMITTED lets two hosts starting together both find
 * nothing and both insert. SQLite needs nothing (BEGIN IMMEDIATE already lets
 * one writer in at a time).
 */
export async function lockAcrossHosts(tx: SqlExecutor, work: keyof typeof HOST_LOCK_KEYS): Promise<void> {
  if (tx.dialect !== 'postgres') return
  await tx.get('SELECT pg_advisory_xact_lock($1)', [HOST_LOCK_KEYS[work]])
}
