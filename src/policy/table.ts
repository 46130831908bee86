// PLACEHOLDER (replaced by the policy helper).
import type { Folder } from './types'

export interface CompiledFolder {
  readonly folder: Folder
}
export interface PolicyTable {
  readonly folders: readonly CompiledFolder[]
  resolve(urlPath: string): CompiledFolder
}
export function compilePolicyTable(folders: readonly Folder[]): PolicyTable {
  const compiled = folders.map((folder) => ({ folder }))
  return {
    folders: compiled,
    resolve: () => compiled[0] as CompiledFolder,
  }
}
