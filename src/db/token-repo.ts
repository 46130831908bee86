import type { Statement } from 'better-sqlite3'
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Db } from './sqlite/open'

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
  private readonly insert: Statement
  private readonly selectByHash: Statement<[string], TokenRow>
  private readonly selectAll: Statement<[], TokenRow>
  private readonly selectById: Statement<[string], TokenRow>
  private readonly revokeById: Statement<[string, string]>
  private readonly touch: Statement<[string, string]>
  private readonly countActiveWrite: Statement<[], { n: number }>
  private readonly updateHash: Statement<[string, string]>

  constructor(db: Db) {
    this.insert = db.prepare('INSERT INTO tokens (id, name, scope, hash, created_at) VALUES (@id, @name, @scope, @hash, @createdAt)')
    this.selectByHash = db.prepare('SELECT * FROM tokens WHERE hash = ?')
    this.selectAll = db.prepare('SELECT * FROM tokens ORDER BY created_at, id')
    this.selectById = db.prepare('SELECT * FROM tokens WHERE id = ?')
    this.revokeById = db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
    this.touch = db.prepare('UPDATE tokens SET last_used_at = ? WHERE id = ?')
    this.countActiveWrite = db.prepare("SELECT COUNT(*) AS n FROM tokens WHERE revoked_at IS NULL AND scope = 'write'")
    this.updateHash = db.prepare('UPDATE tokens SET hash = ?, revoked_at = NULL WHERE id = ?')
  }

  /** Creates a token; the secret is returned here and never again. */
  create(name: string, scope: TokenScope, options: { id?: string; secret?: string } = {}): { info: TokenInfo; secret: string } {
    const secret = options.secret ?? generateTokenSecret()
    const id = options.id ?? randomUUID()
    const createdAt = new Date().toISOString()
    this.insert.run({ id, name, scope, hash: hashToken(secret), createdAt })
    return { info: { id, name, scope, createdAt, lastUsedAt: null, revokedAt: null }, secret }
  }

  /** The active token this secret belongs to, if any. */
  verify(secret: string): TokenInfo | undefined {
    const presented = Buffer.from(hashToken(secret), 'hex')
    // The hash is looked up by value (an index probe), then compared in
    // constant time so the comparison itself leaks nothing about near misses.
    const row = this.selectByHash.get(presented.toString('hex'))
    if (!row || row.revoked_at !== null) return undefined
    const stored = Buffer.from(row.hash, 'hex')
    if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return undefined
    return toInfo(row)
  }

  markUsed(id: string, at: string = new Date().toISOString()): void {
    this.touch.run(at, id)
  }

  list(): TokenInfo[] {
    return this.selectAll.all().map(toInfo)
  }

  get(id: string): TokenInfo | undefined {
    const row = this.selectById.get(id)
    return row ? toInfo(row) : undefined
  }

  /** @returns false when there is no such active token. */
  revoke(id: string): boolean {
    return this.revokeById.run(new Date().toISOString(), id).changes > 0
  }

  /** Active write-scoped tokens: while one exists, someone can still manage the rest. */
  activeWriteCount(): number {
    return this.countActiveWrite.get()?.n ?? 0
  }

  /** Points an existing token (the bootstrap one) at a new secret. */
  setSecret(id: string, secret: string): void {
    this.updateHash.run(hashToken(secret), id)
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
