/**
 * Cache tags: which stored CDN responses a change makes stale. Pure.
 *
 * Every response is tagged by the path it answers: the decoded URL path,
 * without the query (callers pass the path alone; a decoded `?` is part of
 * a name). So all its variants (encodings, image derivatives, 404s,
 * preflights) share the tags of that path:
 * - one folder tag per folder prefix of the path (`/`, `/brand/`,
 *   `/brand/logos/`): a change to folder F purges tag(F), which every
 *   response under F carries, whichever folder's policy it was answered
 *   with; so creating F also purges what F takes away from its parent;
 * - one asset tag for the path itself: a change to the asset purges it.
 *
 * Tags follow the strictest common rules of the CDNs we talk to: at most
 * 128 characters, ASCII letters, digits and `.`, `_`, `-`, `~` only (no
 * space, comma, colon or slash: Akamai refuses `/` and `:`), at most 50 per
 * response. Tag matching at some CDNs ignores case; two paths that differ
 * only in case then share a tag, which purges more than needed, never less.
 */
import { createHash } from 'node:crypto'
import { PRECOMPRESSED_SIBLINGS } from '../http/precompressed'

/** The most tags one response carries (CloudFront's and the limit; Akamai allows 128). */
export const MAX_TAGS_PER_RESPONSE = 50
/** Akamai ignores longer tags without an error. */
export const MAX_TAG_LENGTH = 128
/**
 * Folder tags cover depths 0 (`/`) to this; with the asset tag that makes 50.
 * A deeper folder is represented by its ancestor at this depth: responses
 * below it carry that ancestor's tag, so purging it still reaches all of
 * them (and the rest of that ancestor's subtree, which is merely refetched).
 */
export const MAX_FOLDER_DEPTH = MAX_TAGS_PER_RESPONSE - 2

const FOLDER_PREFIX = 'cpf'
const ASSET_PREFIX = 'cpa'
/** Path characters a tag may show as they are; `/` becomes `~`, which is not among them. */
const READABLE_PATH = /^[A-Za-z0-9._/-]*$/
/** 22 base64url characters: 132 bits of SHA-256, collisions out of reach. */
const HASH_CHARS = 22
/** Bunny keeps 1024 bytes of CDN-Tag: 50 compact tags of 16 characters and their commas fit. */
const COMPACT_HASH_CHARS = 14

const sha256 = (text: string, chars: number): string => createHash('sha256').update(text).digest('base64url').slice(0, chars)

/**
 * One tag for `path` under `prefix`. Readable when the path allows it
 * (`/brand/logo.png` → `cpa~brand~logo.png`); otherwise, and when too long,
 * `prefix` + `h~` + a hash of the path. `~` is never a readable path
 * character, so a readable tag maps back to one path only, and a hashed
 * tag (`cpah~…`) can never equal a readable one (`cpa~…`).
 */
function tagOf(prefix: string, path: string): string {
  if (READABLE_PATH.test(path)) {
    const readable = prefix + path.replace(/\//g, '~')
    if (readable.length <= MAX_TAG_LENGTH) return readable
  }
  return `${prefix}h~${sha256(path, HASH_CHARS)}`
}

/**
 * The folder prefixes of `path` that get a tag, shortest first: `/` and each
 * prefix ending in `/`, up to `MAX_FOLDER_DEPTH` levels below `/`. A folder
 * path (ending in `/`) is its own last prefix.
 */
function folderPrefixes(path: string): string[] {
  const prefixes = ['/']
  for (let i = path.indexOf('/', 1); i !== -1 && prefixes.length <= MAX_FOLDER_DEPTH; i = path.indexOf('/', i + 1)) {
    prefixes.push(path.slice(0, i + 1))
  }
  return prefixes
}

/** The folder that stands for `folderPath` in tags: itself, or its ancestor at `MAX_FOLDER_DEPTH`. */
function taggedFolder(folderPath: string): string {
  const prefixes = folderPrefixes(folderPath)
  return prefixes[prefixes.length - 1] as string
}

const normaliseAsset = (path: string): string => (path.startsWith('/') ? path : `/${path}`)
const normaliseFolder = (path: string): string => {
  const rooted = normaliseAsset(path)
  return rooted.endsWith('/') ? rooted : `${rooted}/`
}

/** The tag of folder `folderPath` (its ancestor's when deeper than the tags reach). */
export const folderTag = (folderPath: string): string => tagOf(FOLDER_PREFIX, taggedFolder(normaliseFolder(folderPath)))

/** The tag of the asset at `assetPath`. */
export const assetTag = (assetPath: string): string => tagOf(ASSET_PREFIX, normaliseAsset(assetPath))

/**
 * The cache tags of any response for the decoded URL path `path` (no
 * query: `?w=640` derivatives are tagged by their source's path): one per
 * folder prefix (`/` first) and the asset tag last; at most 50, each at most
 * 128 characters.
 */
export function responseTags(path: string): string[] {
  const asset = normaliseAsset(path)
  const tags = folderPrefixes(asset).map((prefix) => tagOf(FOLDER_PREFIX, prefix))
  tags.push(tagOf(ASSET_PREFIX, asset))
  return tags
}

/** What to purge when folder `folderPath` is created, changed or deleted: everything under it. */
export function folderChangeTags(folderPath: string): string[] {
  return [folderTag(folderPath)]
}

/**
 * What to purge when the asset at `assetPath` is uploaded, replaced or
 * deleted: every response for it. A precompressed sibling (`app.js.br`) is
 * another encoding of `app.js`, so its change purges `app.js` too.
 */
export function assetChangeTags(assetPath: string): string[] {
  const path = normaliseAsset(assetPath)
  const tags = [assetTag(path)]
  for (const [, suffix] of PRECOMPRESSED_SIBLINGS) {
    if (path.endsWith(suffix) && path.length > suffix.length + 1) tags.push(assetTag(path.slice(0, -suffix.length)))
  }
  return tags
}

/**
 * A 16-character stand-in for `tag`, for CDNs whose tag header is short
 * (Bunny keeps 1024 bytes). The same function runs on the tags of a response
 * and on the tags of a purge, so they still meet.
 */
export const compactTag = (tag: string): string => `h~${sha256(tag, COMPACT_HASH_CHARS)}`
