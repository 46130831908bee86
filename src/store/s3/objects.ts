/**
 * Asset paths ↔ object keys, and object metadata → `StoredFile`. Pure: no
 * requests here.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { CrossportError } from '../../http/errors'
import type { StoredFile } from '../asset-store'

/** Whether `path` is something an asset can be called: no empty, dot or dot-dot segment, no dotfile. */
export function isAssetPath(path: string): boolean {
  if (!path.startsWith('/') || path.length < 2) return false
  return path
    .slice(1)
    .split('/')
    .every((segment) => segment !== '' && !segment.startsWith('.'))
}

export class KeyMap {
  /** @param prefix S3_PREFIX, prepended to every key ('' for the bucket's root). */
  constructor(readonly prefix: string) {}

  /** `/brand/logo.png` → `<prefix>brand/logo.png`; refuses what no asset path can be. */
  keyFor(path: string): string {
    if (!isAssetPath(path)) throw new CrossportError('INVALID_ASSET_PATH', `${JSON.stringify(path)} is not an asset path`)
    return this.prefix + path.slice(1)
  }

  /** The key of a path the public side asked for: undefined when no object can be there (a miss, not an error). */
  publicKeyFor(path: string): string | undefined {
    return isAssetPath(path) ? this.prefix + path.slice(1) : undefined
  }

  /** The asset path of a key under the prefix; undefined for keys no asset path maps to (other prefixes, dotfiles, `a//b`). */
  pathOf(key: string): string | undefined {
    if (!key.startsWith(this.prefix)) return undefined
    const path = '/' + key.slice(this.prefix.length)
    return isAssetPath(path) ? path : undefined
  }
}

/**
 * One object version as a `StoredFile`. The revision and the ETag are the
 * object's own ETag: S3 computes it from the bytes (MD5 of a single PUT, or of
 * the parts' MD5s for a multipart upload), so it changes whenever the bytes
 * change, and a same-bytes rewrite keeps it, which a strong validator may.
 * Last-Modified has whole seconds in HEAD, so listings are cut to seconds too.
 */
export function toStoredFile(path: string, key: string, sizeBytes: number, lastModified: string, s3Etag: string): StoredFile {
  const bare = s3Etag.replace(/^W\//, '').replace(/"/g, '')
  const parsed = Date.parse(lastModified)
  return {
    path,
    key,
    sizeBytes,
    mtimeMs: Number.isNaN(parsed) ? 0 : Math.floor(parsed / 1000) * 1000,
    revision: bare,
    etag: `"${bare}"`,
  }
}

/** The `StoredFile` of a HEAD or GET answer (for a ranged GET, the size is the total in Content-Range). */
export function storedFileOf(path: string, key: string, headers: IncomingHttpHeaders): StoredFile {
  const total = /\/(\d+)$/.exec(headers['content-range'] ?? '')?.[1] ?? headers['content-length'] ?? '0'
  return toStoredFile(path, key, Number(total), headers['last-modified'] ?? '', headers.etag ?? '')
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Text of an XML element's content, entities decoded. */
export const xmlText = (raw: string): string =>
  raw.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X')) return String.fromCodePoint(parseInt(entity.slice(2), 16))
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10))
    return ENTITIES[entity] ?? whole
  })

/** Every `<tag>…</tag>` inside `xml`, in order, as raw inner text. */
export function xmlElements(xml: string, tag: string): string[] {
  const found: string[] = []
  const pattern = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g')
  for (let match = pattern.exec(xml); match !== null; match = pattern.exec(xml)) found.push(match[1] ?? '')
  return found
}

/** The decoded text of the first `<tag>` in `xml`, or undefined. */
export const xmlValue = (xml: string, tag: string): string | undefined => {
  const raw = xmlElements(xml, tag)[0]
  return raw === undefined ? undefined : xmlText(raw)
}
