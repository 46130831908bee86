export { compilePolicyTable, folderPrefixes, normaliseMethod, ROOT_PATH, type CompiledFolder, type PolicyTable } from './table'
export {
  createOriginMatcher,
  originOfUrl,
  parseOrigin,
  parseNewOriginRule,
  parseOriginRule,
  ANY_ORIGIN,
  NULL_ORIGIN,
  type OriginMatch,
  type OriginMatcher,
  type OriginRuleResult,
} from './origin'
export { DEFAULT_POLICY, type EnforcementMode, type Folder, type Policy, type SignedUrlsMode } from './types'
