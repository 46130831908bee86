import type { AuditEntry } from './types.js'

interface PolicyLike {
  readonly origins?: unknown
  readonly [key: string]: unknown
}

const policyOf = (value: unknown): PolicyLike | undefined => {
  if (typeof value !== 'object' || value === null) return undefined
  const policy = (value as { policy?: unknown }).policy
  return typeof policy === 'object' && policy !== null ? (policy as PolicyLike) : undefined
}

const originsOf = (value: unknown): string[] => {
  const origins = policyOf(value)?.origins
  return Array.isArray(origins) ? origins.filter((o): o is string => typeof o === 'string') : []
}

const field = (value: unknown, name: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined

const list = (items: readonly string[]): string => items.join(', ')

/** Plain-words lines of a policy change: origins added/removed, other fields old → new. */
export function describeChange(before: unknown, after: unknown): string[] {
  const old = policyOf(before)
  const now = policyOf(after)
  if (old === undefined || now === undefined) return []
  const lines: string[] = []
  const oldOrigins = originsOf(before)
  const newOrigins = originsOf(after)
  for (const origin of newOrigins) if (!oldOrigins.includes(origin)) lines.push(`origin added: ${origin}`)
  for (const origin of oldOrigins) if (!newOrigins.includes(origin)) lines.push(`origin removed: ${origin}`)
  for (const key of Object.keys(now)) {
    if (key === 'origins') continue
    const a = JSON.stringify(old[key])
    const b = JSON.stringify(now[key])
    if (a !== b) lines.push(`${key}: ${a} → ${b}`)
  }
  return lines
}

/**
 * One sentence per audit entry, e.g. "bootstrap added https://blog.example to
 * /demo/". Token entries use the token's name (the API's `targetName`), never its id.
 */
export function summariseEntry(entry: AuditEntry): string {
  const { actor, target, before, after } = entry
  const tokenName = entry.targetName ?? (field(after, 'name') as string | undefined) ?? (field(before, 'name') as string | undefined) ?? target
  const added = originsOf(after).filter((o) => !originsOf(before).includes(o))
  const removed = originsOf(before).filter((o) => !originsOf(after).includes(o))
  switch (entry.action) {
    case 'origin.add':
      return `${actor} added ${list(added) || 'an origin'} to ${target}`
    case 'origin.remove':
      return `${actor} removed ${list(removed) || 'an origin'} from ${target}`
    case 'folder.create':
    case 'demo.seed': {
      const origins = originsOf(after)
      const sharing = origins.length === 0 ? ' (not shared cross-origin)' : ` shared with ${list(origins)}`
      return `${actor} created ${target}${sharing}${entry.action === 'demo.seed' ? ' (demo)' : ''}`
    }
    case 'folder.delete':
      return `${actor} deleted the folder ${target} and its policy`
    case 'asset.upload':
      return `${actor} ${before === null ? 'uploaded' : 'replaced'} ${target}`
    case 'asset.delete':
      return `${actor} deleted ${target}`
    case 'token.create':
    {
      const scope = field(after, 'scope')
      return `${actor} created the ${typeof scope === 'string' ? `${scope} ` : ''}token ${tokenName}`
    }
    case 'token.revoke':
      return `${actor} revoked the token ${tokenName}`
    default: {
      // folder.patch, folder.replace and anything newer: name what changed.
      const changes = describeChange(before, after)
      if (changes.length === 0) return `${actor}: ${entry.action} ${target}`
      const fields = changes.map((line) => line.replace(/: .*$/, ''))
      return `${actor} changed ${list([...new Set(fields)])} of ${target}`
    }
  }
}
