import { LRUCache } from 'lru-cache'
import type { Metadata } from 'sharp'
import { sharpLib } from '../images/sharp-lib'
import { contentTypeFor } from '../http/media-type'
import type { StoredFile, AssetStore } from '../store/asset-store'
import type { ImageInfo } from './schemas/api-types'

/** "Not an image sharp can read": remembered too, so a broken file is not decoded on every call. */
const NOT_AN_IMAGE = false

/** sharp metadata (header only, no decode), cached by path + ETag, so a replaced file is never answered from the cache. */
export class ImageMetadataCache {
  private readonly entries: LRUCache<string, ImageInfo | typeof NOT_AN_IMAGE>

  constructor(
    private readonly store: AssetStore,
    maxEntries: number,
  ) {
    this.entries = new LRUCache({ max: maxEntries })
  }

  async get(stat: StoredFile): Promise<ImageInfo | undefined> {
    if (!contentTypeFor(stat.path).startsWith('image/')) return undefined
    const key = `${stat.path}\n${stat.etag}`
    const cached = this.entries.get(key)
    if (cached !== undefined) return cached === NOT_AN_IMAGE ? undefined : cached
    const found = await this.read(stat.path)
    this.entries.set(key, found ?? NOT_AN_IMAGE)
    return found
  }

  forget(path: string): void {
    const stale = [...this.entries.keys()].filter((key) => key.startsWith(`${path}\n`))
    for (const key of stale) this.entries.delete(key)
  }

  private async read(path: string): Promise<ImageInfo | undefined> {
    try {
      const local = this.store.localPath?.(path)
      let metadata: Metadata
      if (local !== undefined) {
        metadata = await sharpLib()(local).metadata()
      } else {
        const reader = sharpLib()()
        this.store.read(path).pipe(reader)
        metadata = await reader.metadata()
      }
      const { width, height, format } = metadata
      if (width === undefined || height === undefined || format === undefined) return undefined
      return { width, height, format }
    } catch {
      // Not something sharp can read (a non-image, an SVG without librsvg): metadata simply has no `image`.
      return undefined
    }
  }
}
