import type { SqlExecutor } from '../sql'

/** The one channel every host LISTENs on. */
export const CHANGES_CHANNEL = 'crossport_changes'

/**
 * What a notification on CHANGES_CHANNEL says changed. `policy` comes from
 * the folder triggers, `token` from the token trigger, `asset` from the
 * transaction that records an upload, replacement or deletion (`path`
 * undefined: too long for a payload, so drop every cached entry). `resync`
 * is never sent: a host tells its own subscribers so after it may have missed
 * notifications (a lost connection), so they drop everything they keep.
 */
export type ChangeNotice =
  | { readonly kind: 'policy' }
  | { readonly kind: 'token' }
  | { readonly kind: 'asset'; readonly path: string | undefined }
  | { readonly kind: 'resync' }

/** PostgreSQL refuses payloads of 8000 bytes and more; paths are far shorter in practice. */
const MAX_PATH_BYTES = 7_000

/** The payload of a notification, or undefined when it is not one of ours. */
export function parseNotice(payload: string | undefined): ChangeNotice | undefined {
  if (payload === undefined) return undefined
  let value: unknown
  try {
    value = JSON.parse(payload)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { kind, path } = value as { kind?: unknown; path?: unknown }
  if (kind === 'policy' || kind === 'token') return { kind }
  if (kind === 'asset') return { kind, path: typeof path === 'string' ? path : undefined }
  return undefined
}

export function encodeNotice(notice: Exclude<ChangeNotice, { kind: 'resync' }>): string {
  if (notice.kind !== 'asset' || notice.path === undefined) return JSON.stringify({ kind: notice.kind })
  if (Buffer.byteLength(notice.path) > MAX_PATH_BYTES) return JSON.stringify({ kind: 'asset' })
  return JSON.stringify({ kind: 'asset', path: notice.path })
}

/**
 * Tells every host, at commit of `tx`'s transaction, that something changed
 * (for what the triggers do not see, such as an asset in the store). Rolled
 * back with the transaction. PostgreSQL only; on SQLite it does nothing.
 */
export async function notifyChange(tx: SqlExecutor, notice: Exclude<ChangeNotice, { kind: 'resync' }>): Promise<void> {
  if (tx.dialect !== 'postgres') return
  await tx.get('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, encodeNotice(notice)])
}
