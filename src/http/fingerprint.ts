/**
 * Fingerprinted (content-hashed) file names can be cached forever: a new
 * version gets a new name. The pattern, as build tools emit it
 * (webpack/vite/esbuild/parcel):
 *
 *   <name>(.|-)<hash>.<ext>      app.3f9a2c1b.js, logo-8d3e1f0a.png, chunk.a1b2c3d4e5.css
 *
 * where <hash> is 8–64 letters and digits with at least one of each
 * (`3f9a2c1b`, `k3j9x2q7`). Requiring both keeps ordinary names out, which
 * matters more than catching every hash: a name taken for a fingerprint is
 * cached for a year. `bootstrap-datepicker.js`, `intro-feedface.mp4` and
 * `report-20240101.pdf` are not fingerprinted; the rare real hash of only
 * digits or only letters gets the folder's Cache-Control, which is safe.
 */
const HASHED_NAME = /[.-]([0-9a-z]{8,64})\.[0-9a-z]+$/i
const HAS_DIGIT = /[0-9]/
const HAS_LETTER = /[a-z]/i

export const IMMUTABLE_CACHE_CONTROL = 'public, max-age=31536000, immutable'

export function isFingerprinted(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1)
  const match = HASHED_NAME.exec(name)
  if (!match) return false
  const hash = match[1] as string
  // The hash must not be the whole stem: `12345678.js` is a name, not a fingerprint.
  if (match.index === 0) return false
  return HAS_DIGIT.test(hash) && HAS_LETTER.test(hash)
}
