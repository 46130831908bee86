// Shapes of the admin API answers: derived (type-only, no zod in the bundle)
// from the zod schemas the server answers and documents them with.

export type {
  Asset,
  AssetPage,
  AuditEntry,
  CreatedToken,
  EnforcementMode,
  Explanation,
  Folder,
  Policy,
  Session,
  SignedUrlsMode,
  TokenInfo,
  TokenScope,
} from '../../src/admin/schemas/api-types'
export interface ItemList<T> {
  readonly items: readonly T[]
}
