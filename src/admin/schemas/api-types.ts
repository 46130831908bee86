import type { z } from 'zod'
import type * as shapes from './responses'

/**
 * The admin API's answers as TypeScript types, derived from the zod shapes
 * the server documents them with. Type-only: the CLI and the console import
 * these without loading zod.
 */

export type TokenScope = (typeof shapes.TOKEN_SCOPES)[number]
export type EnforcementMode = (typeof shapes.ENFORCEMENT_MODES)[number]
export type SignedUrlsMode = (typeof shapes.SIGNED_URLS_MODES)[number]
export type Policy = z.output<typeof shapes.policyOut>
export type Folder = z.output<typeof shapes.folderOut>
export type FolderPage = z.output<typeof shapes.folderPageOut>
export type TokenInfo = z.output<typeof shapes.tokenOut>
export type TokenList = z.output<typeof shapes.tokenListOut>
export type CreatedToken = z.output<typeof shapes.createdTokenOut>
export type Session = z.output<typeof shapes.sessionOut>
export type AuditEntry = z.output<typeof shapes.auditEntryOut>
export type AuditList = z.output<typeof shapes.auditListOut>
export type Explanation = z.output<typeof shapes.explanationOut>
export type SignedUrl = z.output<typeof shapes.signedUrlOut>
export type ImageInfo = z.output<typeof shapes.imageOut>
export type Asset = z.output<typeof shapes.assetOut>
export type AssetPage = z.output<typeof shapes.assetPageOut>
export type Purge = z.output<typeof shapes.purgeOut>
export type PurgePage = z.output<typeof shapes.purgePageOut>
export type Problem = z.output<typeof shapes.problemOut>

/**
 * What a handler may answer for a shape: the same fields, with arrays and
 * objects possibly read-only (the stored records are frozen or typed so).
 */
export type Answer<T> = T extends readonly (infer U)[] ? readonly Answer<U>[] : T extends object ? { readonly [K in keyof T]: Answer<T[K]> } : T
