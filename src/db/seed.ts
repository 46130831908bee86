import { AuditRepo } from './audit-repo'
import { FolderRepo } from './folder-repo'
import { lockAcrossHosts } from './postgres/host-lock'
import type { SqlDatabase } from './sql'
import { generateTokenSecret, TokenRepo } from './token-repo'
import { DEFAULT_POLICY } from '../policy/types'

export const BOOTSTRAP_TOKEN_ID = 'bootstrap'

/** The demo folder and the sample site it is shared with (README walk-through). */
export const DEMO_FOLDER = '/demo/'
const DEMO_ORIGINS: readonly string[] = ['https://shop.example', 'http://localhost:3000']

/**
 * Makes sure an admin can sign in. With ADMIN_TOKEN set, the `bootstrap` token
 * follows it (so rotating the variable rotates the token). Without it, a token
 * is generated only when no active write-scoped token exists: read tokens
 * alone cannot create or revoke anything, so they would leave admins locked out.
 * Callers generate only once the listeners are up (see `issueGeneratedToken`),
 * so a start that fails never consumes the secret it would have printed.
 * @returns the generated secret, to be printed once; undefined otherwise.
 */
export function ensureBootstrapToken(db: SqlDatabase, configured: string | undefined): Promise<string | undefined> {
  return db.transaction(async (tx) => {
    await lockAcrossHosts(tx, 'seed')
    const tokens = new TokenRepo(tx)
    const existing = await tokens.get(BOOTSTRAP_TOKEN_ID)
    const pointAt = (secret: string) => (existing ? tokens.setSecret(BOOTSTRAP_TOKEN_ID, secret) : tokens.create('bootstrap', 'write', { id: BOOTSTRAP_TOKEN_ID, secret }))
    if (configured !== undefined) {
      await pointAt(configured)
      return undefined
    }
    if ((await tokens.activeWriteCount()) > 0) return undefined
    const secret = generateTokenSecret()
    await pointAt(secret)
    return secret
  })
}

/**
 * On a database that has never held anything but "/", shares /demo/ with the
 * sample origins. Recorded in the audit log like any change. Runs at most once:
 * a `demo.seed` audit row marks it, so deleting the demo folder sticks.
 * @returns true when it seeded now.
 */
export function seedDemoPolicy(db: SqlDatabase): Promise<boolean> {
  return db.transaction(async (tx) => {
    await lockAcrossHosts(tx, 'seed')
    if ((await tx.get("SELECT 1 AS one FROM audit_log WHERE action = 'demo.seed' LIMIT 1")) !== undefined) return false
    const folders = new FolderRepo(tx)
    if (await folders.hasOthersThanRoot()) return false
    const folder = await folders.create(DEMO_FOLDER, { ...DEFAULT_POLICY, origins: [...DEMO_ORIGINS], cacheControl: 'public, max-age=300' })
    await new AuditRepo(tx).record('system', 'demo.seed', DEMO_FOLDER, null, folder)
    return true
  })
}
