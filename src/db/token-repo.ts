import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { SqlExecutor } from './sql'

/** `sign` may only mint signed URLs (POST /sign); `write` includes `read` and `sign`. */
export type TokenScope = 'read' | 'write' | 'sign'

export interface TokenInfo {
  readonly id: string
  readonly name: string
  readonly scope: TokenScope
  readonly createdAt: string
  readonly lastUsedAt: string | null
  readonly revokedAt: string | null
}

interface TokenRow {
  id: string
  name: string
  scope: TokenScope
  hash: string
  created_at: string
  last_used_at: string | null
  revoked_at: string | null
}

/** Secrets carry a recognisable prefix so leaked ones are easy to grep for. */
const TOKEN_PREFIX = 'cpt_'

const hashToken = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex')

export const generateTokenSecret = (): string => TOKEN_PREFIX + randomBytes(32).toString('base64url')

/**
 * Admin tokens. Only SHA-256 hashes are stored; a presented secret is hashed
 * and compared against the stored hash in constant time.
 */
export class TokenRepo {
  constructor(private readonly db: SqlExecutor) {}

  /** Creates a token; the secret is returned here and never again. */
  async create(name: string, scope: TokenScope, options: { id?: string; secret?: string } = {}): Promise<{ info: TokenInfo; secret: string }> {
    const secret = options.secret ?? generateTokenSecret()
    const id = options.id ?? randomUUID()
    const createdAt = new Date().toISOString()
    await this.db.run('INSERT INTO tokens (id, name, scope, hash, created_at) VALUES ($1, $2, $3, $4, $5)', [id, name, scope, hashToken(secret), createdAt])
    return { info: { id, name, scope, createdAt, lastUsedAt: null, revokedAt: null }, secret }
  }

  /**
   * The active token this secret belongs to, if any. One query per call,
   * nothing cached: a revocation committed by any process or host is in
   * force for the very next request.
   */
  async verify(secret: string): Promise<TokenInfo | undefined> {
    const presented = Buffer.from(hashToken(secret), 'hex')
    // The hash is looked up by value (an index probe), then compared in
    // constant time so the comparison itself leaks nothing about near misses.
    const row = await this.db.get<TokenRow>('SELECT * FROM tokens WHERE hash = $1', [presented.toString('hex')])
    if (!row || row.revoked_at !== null) return undefined
    const stored = Buffer.from(row.hash, 'hex')
    if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return undefined
    return toInfo(row)
  }

  async markUsed(id: string, at: string = new Date().toISOString()): Promise<void> {
    await this.db.run('UPDATE tokens SET last_used_at = $1 WHERE id = $2', [at, id])
  }

  async list(): Promise<TokenInfo[]> {
    return (await this.db.all<TokenRow>('SELECT * FROM tokens ORDER BY created_at, id')).map(toInfo)
  }

  async get(id: string): Promise<TokenInfo | undefined> {
    const row = await this.db.get<TokenRow>('SELECT * FROM tokens WHERE id = $1', [id])
    return row ? toInfo(row) : undefined
  }

  /** @returns false when there is no such active token. */
  async revoke(id: string): Promise<boolean> {
    const { changes } = await this.db.run('UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [new Date().toISOString(), id])
    return changes > 0
  }

  /** Active write-scoped tokens: while one exists, someone can still manage the rest. */
  async activeWriteCount(): Promise<number> {
    const row = await this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM tokens WHERE revoked_at IS NULL AND scope = 'write'")
    return row?.n ?? 0
  }

  /** Points an existing token (the bootstrap one) at a new secret. */
  async setSecret(id: string, secret: string): Promise<void> {
    await this.db.run('UPDATE tokens SET hash = $1, revoked_at = NULL WHERE id = $2', [hashToken(secret), id])
  }
}

function toInfo(row: TokenRow): TokenInfo {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  }
}
