/**
 * Listing through ListObjectsV2 with the store's cursor contract: sorted by
 * path (S3 sorts keys by their UTF-8 bytes, which is path order), strictly
 * after a cursor, one level with `Delimiter=/`. Keys no asset can have
 * (dotfiles, other prefixes' keys) are skipped, so a page may take more
 * than one request.
 */
import type { ListOptions, ListPage, StoredFile } from '../asset-store'
import type { S3Client } from './client'
import { toStoredFile, xmlElements, xmlText, xmlValue, type KeyMap } from './objects'

/** Sorts after every key that starts with the folder: a cursor on a folder skips its whole content. */
const PAST_FOLDER = '\u{10FFFF}'
/** S3's largest page. */
const MAX_KEYS = 1000

type Entry = { readonly at: string; readonly item?: StoredFile; readonly folder?: string }

export async function listObjects(client: S3Client, keys: KeyMap, options: ListOptions): Promise<ListPage> {
  const { prefix, after, limit, delimiter } = options
  const entries: Entry[] = []
  let startAfter = after === undefined ? undefined : keys.prefix + after.slice(1) + (after.endsWith('/') ? PAST_FOLDER : '')
  let isTruncated = true
  while (isTruncated && entries.length <= limit) {
    const keyPrefix = keys.prefix + prefix.slice(1)
    const query: Record<string, string> = { 'list-type': '2', prefix: keyPrefix, 'max-keys': String(Math.min(MAX_KEYS, limit + 1 - entries.length)) }
    if (startAfter !== undefined && startAfter > keyPrefix) query['start-after'] = startAfter
    if (delimiter !== undefined) query.delimiter = delimiter
    const { body } = await client.expectOk({ method: 'GET', key: '', query })
    isTruncated = xmlValue(body, 'IsTruncated') === 'true'
    const page: Entry[] = []
    for (const raw of xmlElements(body, 'Contents')) {
      const key = xmlValue(raw, 'Key') ?? ''
      const path = keys.pathOf(key)
      const item = path === undefined ? undefined : toStoredFile(path, key, Number(xmlValue(raw, 'Size') ?? 0), xmlValue(raw, 'LastModified') ?? '', xmlText(xmlElements(raw, 'ETag')[0] ?? ''))
      page.push({ at: key, item })
    }
    for (const raw of xmlElements(body, 'CommonPrefixes')) {
      const key = xmlValue(raw, 'Prefix') ?? ''
      const path = keys.pathOf(key.slice(0, -1))
      page.push({ at: key + PAST_FOLDER, folder: path === undefined ? undefined : path + '/' })
    }
    if (page.length === 0) break
    page.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    startAfter = page[page.length - 1]?.at
    entries.push(...page.filter((entry) => entry.item !== undefined || entry.folder !== undefined))
  }
  const taken = entries.slice(0, limit)
  const lastEntry = taken[taken.length - 1]
  return {
    items: taken.flatMap((entry) => (entry.item === undefined ? [] : [entry.item])),
    folders: taken.flatMap((entry) => (entry.folder === undefined ? [] : [entry.folder])),
    hasMore: entries.length > limit || isTruncated,
    last: lastEntry?.item?.path ?? lastEntry?.folder,
  }
}
