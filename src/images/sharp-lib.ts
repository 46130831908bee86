/**
 * sharp, loaded on the first render rather than at start-up. libvips and its
 * codecs cost a process 10–20 MB of resident memory; a cluster worker that
 * only ever serves files, or an instance without image requests, never pays it.
 * The process-wide settings are applied once, when the library is loaded.
 */
import type sharpModule from 'sharp'

type Sharp = typeof sharpModule

let loaded: Sharp | undefined
/** libvips threads per render; see `setRenderThreads`. */
let renderThreads = 0

/**
 * Threads libvips may use for one render (sharp's `concurrency`), applied now
 * when sharp is already loaded, else when it is.
 */
export function setRenderThreads(threads: number): void {
  renderThreads = threads
  if (loaded !== undefined) loaded.concurrency(threads)
}

export function sharpLib(): Sharp {
  if (loaded === undefined) {
    const lib = require('sharp') as Sharp
    // libvips' operation cache keys file loads by name, so a replaced source could
    // be decoded from the old bytes; our own disk cache is the cache that counts.
    lib.cache(false)
    if (renderThreads > 0) lib.concurrency(renderThreads)
    loaded = lib
  }
  return loaded
}
