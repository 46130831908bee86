// Shapes of the admin API answers (DESIGN §2 "Admin API contract (v1)").

export type EnforcementMode = 'cors' | 'strict'
export type SignedUrlsMode = 'off' | 'derivatives' | 'required'

export interface Policy {
  readonly origins: readonly string[]
  readonly methods: readonly string[]
  readonly allowHeaders: readonly string[]
  readonly exposeHeaders: readonly string[]
  readonly maxAge: number
  readonly credentials: boolean
  readonly privateNetwork: boolean
  readonly mode: EnforcementMode
  readonly cacheControl: string
  readonly signedUrls: SignedUrlsMode
}

export interface Folder {
  readonly id: number
  readonly path: string
  readonly policy: Policy
  readonly createdAt: string
  readonly updatedAt: string
}

export interface Explanation {
  readonly path: string
  readonly folder: { readonly id: number | null; readonly path: string }
  readonly origin: string | null
  readonly method: string
  readonly preflight: boolean
  readonly outcome: 'allowed' | 'refused' | 'none'
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly reasons: readonly string[]
  readonly policy: Policy
}

export interface AssetInfo {
  readonly path: string
  readonly size: number
  readonly contentType: string
  readonly etag: string
  readonly modifiedAt: string
}

export interface AssetPage {
  readonly items: readonly AssetInfo[]
  /** With `delimiter=/`: the child folders on this page. */
  readonly folders?: readonly string[]
  readonly nextCursor?: string | null
}

/** `GET /whoami`: the token this tab is signed in with. */
export interface Session {
  readonly id: string
  readonly name: string
  readonly scope: TokenScope
}

export type TokenScope = 'read' | 'write' | 'sign'

export interface TokenInfo {
  readonly id: string
  readonly name: string
  readonly scope: TokenScope
  readonly createdAt: string
  readonly lastUsedAt: string | null
  readonly revokedAt: string | null
}

export interface CreatedToken {
  readonly id: string
  readonly name: string
  readonly scope: TokenScope
  readonly token: string
  readonly createdAt: string
}

export interface AuditEntry {
  readonly id: number
  readonly at: string
  readonly actor: string
  readonly action: string
  readonly target: string
  /** The token's name when `target` is a token id. */
  readonly targetName: string | null
  readonly before: unknown
  readonly after: unknown
}

export interface ItemList<T> {
  readonly items: readonly T[]
}
