/**
 * A folder as the policy table keeps it until a request needs it compiled:
 * few heap objects per folder, so 100,000 folders load fast, fit in little
 * memory and give the garbage collector little to walk on every major
 * collection (which is what stalls requests in a large heap).
 */
import type { Folder, Policy } from './types'

/** Every policy field but the origins: most folders share one, so one frozen object serves them all. */
export type PolicyShape = Omit<Policy, 'origins'>

export interface PackedFolder {
  readonly id: number
  readonly path: string
  readonly shape: PolicyShape
  /** The origin rules as one JSON array text, in order: one string instead of an array of strings. */
  readonly originsJson: string
  readonly createdAt: string
  readonly updatedAt: string
}

export const isPackedFolder = (entry: object): entry is PackedFolder => 'originsJson' in entry

/** The folder as the rest of the code sees it; called once per folder, when it is first compiled. */
export function unpackFolder(packed: PackedFolder): Folder {
  const value: unknown = JSON.parse(packed.originsJson)
  const origins = Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
  return {
    id: packed.id,
    path: packed.path,
    policy: { ...packed.shape, origins },
    createdAt: packed.createdAt,
    updatedAt: packed.updatedAt,
  }
}
