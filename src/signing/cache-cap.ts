/**
 * A signed answer must not outlive its signature in any cache:
 * behind a CDN, a cached copy is served to anyone, signed or not.
 */
const AGE_DIRECTIVE = /^(max-age|s-maxage)\s*=\s*"?(\d+)"?$/i

/**
 * Caps `max-age` and `s-maxage` at `remainingSeconds` and drops `immutable`
 * when a cap applied (it would promise the bytes never need asking for
 * again). A value with neither lifetime gets `max-age`, so no heuristic
 * freshness (RFC 9111 §4.2.2) outlives the signature either. `no-store` is
 * left alone: nothing is kept anyway.
 */
export function capCacheControl(value: string, remainingSeconds: number): string {
  const directives = value.split(',').map((d) => d.trim()).filter((d) => d !== '')
  if (directives.some((d) => d.toLowerCase() === 'no-store')) return value
  let hasLifetime = false
  let capped = false
  const out: string[] = []
  for (const directive of directives) {
    const age = AGE_DIRECTIVE.exec(directive)
    if (age !== null) {
      hasLifetime = true
      const seconds = Number(age[2])
      if (seconds > remainingSeconds) {
        capped = true
        out.push(`${(age[1] as string).toLowerCase()}=${remainingSeconds}`)
        continue
      }
    }
    out.push(directive)
  }
  if (!hasLifetime) {
    capped = true
    out.push(`max-age=${remainingSeconds}`)
  }
  return (capped ? out.filter((d) => d.toLowerCase() !== 'immutable') : out).join(', ')
}
