// Shapes of the admin API answers: derived (type-only, no zod in the bundle)
// from the zod schemas the server answers and documents them with.

export type {
  Asset,
  AssetPage,
  AuditEntry,
  AuditList,
  CreatedToken,
  EnforcementMode,
  Explanation,
  Folder,
  FolderPage,
  Policy,
  Problem,
  Session,
  SignedUrlsMode,
  TokenInfo,
  TokenList,
  TokenScope,
} from '../../src/admin/schemas/api-types'
