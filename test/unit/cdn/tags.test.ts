import {
  assetChangeTags,
  compactTag,
  folderChangeTags,
  MAX_FOLDER_DEPTH,
  MAX_TAG_LENGTH,
  MAX_TAGS_PER_RESPONSE,
  responseTags,
} from '../../../src/cdn/tags'

/** A tag every CDN we talk to accepts: short, ASCII, no space, comma, colon or slash. */
const CDN_SAFE_TAG = /^[A-Za-z0-9._~-]{1,128}$/

/** Deterministic pseudo-random numbers (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SEGMENT_ALPHABETS = ['abc', 'aB', 'x.y-_', 'é ü', '%:,~?#', 'a'.repeat(40)]

function randomSegment(next: () => number): string {
  const alphabet = SEGMENT_ALPHABETS[Math.floor(next() * SEGMENT_ALPHABETS.length)] as string
  const length = 1 + Math.floor(next() * 6)
  let segment = ''
  for (let i = 0; i < length; i += 1) segment += alphabet[Math.floor(next() * alphabet.length)]
  return segment
}

/** A random folder tree (paths ending in `/`), some of it deeper than the tags reach. */
function randomFolders(next: () => number, count: number): string[] {
  const folders = ['/']
  while (folders.length < count) {
    const parent = folders[Math.floor(next() * folders.length)] as string
    const depthBoost = next() < 0.05 ? 30 : 1
    let child = parent
    for (let i = 0; i < depthBoost; i += 1) child += `${randomSegment(next)}/`
    folders.push(child)
  }
  return folders
}

describe('responseTags(path)', () => {
  it('tags a response with each folder prefix, then the asset', () => {
    expect(responseTags('/brand/logos/a.png')).toEqual(['cpf~', 'cpf~brand~', 'cpf~brand~logos~', 'cpa~brand~logos~a.png'])
  })

  it('reads a decoded ? as part of a name, never as a query', () => {
    expect(responseTags('/a?b/c.png')).toHaveLength(3)
    expect(responseTags('/a?b/c.png')).toContain(folderChangeTags('/a?b/')[0])
    expect(responseTags('/a/c.png')).not.toContain(folderChangeTags('/a?b/')[0])
  })

  it('tags the root path and folder paths', () => {
    expect(responseTags('/')).toEqual(['cpf~', 'cpa~'])
    expect(responseTags('/brand/')).toEqual(['cpf~', 'cpf~brand~', 'cpa~brand~'])
  })

  it('hashes paths with characters outside the safe set', () => {
    const tags = responseTags('/m\u00fcnchen/a b:c,d.png')
    expect(tags[1]).toMatch(/^cpfh~[A-Za-z0-9_-]{22}$/)
    expect(tags[2]).toMatch(/^cpah~[A-Za-z0-9_-]{22}$/)
    for (const tag of tags) expect(tag).toMatch(CDN_SAFE_TAG)
  })

  it('hashes a path whose readable tag would pass 128 characters', () => {
    const long = `/${'a'.repeat(200)}.png`
    const [, asset] = responseTags(long)
    expect(asset).toMatch(/^cpah~/)
    expect(responseTags(`/${'a'.repeat(120)}.png`)[1]).toBe(`cpa~${'a'.repeat(120)}.png`)
  })

  it('keeps distinct paths apart even where a readable tag could look alike', () => {
    expect(responseTags('/a~b')).not.toEqual(responseTags('/a/b'))
    expect(responseTags('/a.b')).not.toEqual(responseTags('/a/b'))
  })

  it(`carries at most ${MAX_TAGS_PER_RESPONSE} tags, whatever the depth`, () => {
    const deep = `/${Array.from({ length: 120 }, (_, i) => `d${i}`).join('/')}/file.txt`
    const tags = responseTags(deep)
    expect(tags).toHaveLength(MAX_TAGS_PER_RESPONSE)
    expect(new Set(tags).size).toBe(tags.length)
  })
})

describe('folderChangeTags(folderPath)', () => {
  it('is the one tag of the folder', () => {
    expect(folderChangeTags('/brand/')).toEqual(['cpf~brand~'])
    expect(folderChangeTags('/')).toEqual(['cpf~'])
  })

  it('accepts a folder path without its trailing slash', () => {
    expect(folderChangeTags('/brand')).toEqual(folderChangeTags('/brand/'))
  })

  it('stands in for a folder deeper than the tags reach with its deepest tagged ancestor', () => {
    const segments = Array.from({ length: MAX_FOLDER_DEPTH + 5 }, (_, i) => `d${i}`)
    const deep = `/${segments.join('/')}/`
    const ancestor = `/${segments.slice(0, MAX_FOLDER_DEPTH).join('/')}/`
    expect(folderChangeTags(deep)).toEqual(folderChangeTags(ancestor))
  })

  it('reaches every response under the folder and none outside it, for random trees and paths', () => {
    const next = random(20261205)
    const wrong: string[] = []
    for (let round = 0; round < 30; round += 1) {
      const folders = randomFolders(next, 25)
      const paths = folders.flatMap((folder) => [folder, `${folder}${randomSegment(next)}`, `${folder}${randomSegment(next)}.png`])
      const tagsOf = new Map(paths.map((path) => [path, responseTags(path)]))
      for (const tags of tagsOf.values()) {
        if (tags.length > MAX_TAGS_PER_RESPONSE || tags.some((tag) => !CDN_SAFE_TAG.test(tag))) wrong.push(`unsafe: ${tags.join(' ')}`)
      }
      for (const folder of folders) {
        const [purged] = folderChangeTags(folder)
        // Outside F only a deep folder's stand-in (its ancestor) may reach further.
        const isExact = folder.split('/').length - 2 <= MAX_FOLDER_DEPTH
        for (const [path, tags] of tagsOf) {
          const isUnder = path.startsWith(folder)
          const isHit = tags.includes(purged as string)
          if (isUnder && !isHit) wrong.push(`missed ${path} under ${folder}`)
          if (!isUnder && isExact && isHit) wrong.push(`purged ${path} outside ${folder}`)
        }
      }
    }
    expect(wrong).toEqual([])
  })

  it("purges what a new child folder takes from its parent: the parent's responses under it carry the child's tag", () => {
    const before = responseTags('/brand/logos/a.png')
    expect(before).toContain(folderChangeTags('/brand/logos/')[0])
  })
})

describe('assetChangeTags(assetPath)', () => {
  it('is the tag every response for the asset carries', () => {
    const [tag] = assetChangeTags('/brand/hero.jpg')
    expect(responseTags('/brand/hero.jpg')).toContain(tag)
  })

  it('maps a precompressed sibling to its identity path as well', () => {
    expect(assetChangeTags('/app.js.br')).toEqual(['cpa~app.js.br', 'cpa~app.js'])
    expect(assetChangeTags('/app.js.gz')).toEqual(['cpa~app.js.gz', 'cpa~app.js'])
    expect(responseTags('/app.js')).toContain(assetChangeTags('/app.js.br')[1])
  })

  it('does not purge other assets of the folder', () => {
    const [tag] = assetChangeTags('/brand/a.png')
    expect(responseTags('/brand/b.png')).not.toContain(tag)
    expect(responseTags('/brand/a.png.webp')).not.toContain(tag)
  })

  it('reaches every response for random asset paths, hashed or readable', () => {
    const next = random(7)
    for (let i = 0; i < 500; i += 1) {
      const path = `/${randomSegment(next)}/${randomSegment(next)}.${randomSegment(next)}`
      expect(responseTags(path)).toContain(assetChangeTags(path)[0])
    }
  })
})

describe('compactTag(tag)', () => {
  it('is 16 safe characters, the same for the same tag', () => {
    const tag = compactTag('cpf~brand~')
    expect(tag).toMatch(/^h~[A-Za-z0-9_-]{14}$/)
    expect(compactTag('cpf~brand~')).toBe(tag)
    expect(compactTag('cpf~brand~x~')).not.toBe(tag)
  })

  it(`keeps ${MAX_TAGS_PER_RESPONSE} tags within 1024 bytes with commas`, () => {
    const deep = `/${Array.from({ length: 80 }, (_, i) => `d${i}`).join('/')}/f`
    expect(responseTags(deep).map(compactTag).join(',').length).toBeLessThanOrEqual(1024)
  })

  it(`stays under ${MAX_TAG_LENGTH} characters`, () => {
    expect(compactTag('x'.repeat(1000)).length).toBeLessThan(MAX_TAG_LENGTH)
  })
})
