import { originOfUrl, parseOrigin } from '../../../src/policy/origin'
import { createOriginMatcher } from '../../../src/policy/origin-matcher'
import { parseNewOriginRule, parseOriginRule } from '../../../src/policy/origin-rule'

describe('parseOrigin(input)', () => {
  it.each([
    ['https://shop.example', 'https://shop.example'],
    ['HTTPS://SHOP.EXAMPLE', 'https://shop.example'],
    ['https://Shop.Example:8443', 'https://shop.example:8443'],
    ['https://shop.example:443', 'https://shop.example'],
    ['http://shop.example:80', 'http://shop.example'],
    ['http://shop.example:443', 'http://shop.example:443'],
    ['https://shop.example:80', 'https://shop.example:80'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['https://BÜCHER.example', 'https://xn--bcher-kva.example'],
    ['https://xn--bcher-kva.example', 'https://xn--bcher-kva.example'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['http://[0:0:0:0:0:0:0:1]', 'http://[::1]'],
    ['https://[::1]:443', 'https://[::1]'],
    ['http://127.0.0.1:3000', 'http://127.0.0.1:3000'],
    ['http://localhost:5173', 'http://localhost:5173'],
    ['https://cdn_1.shop.example', 'https://cdn_1.shop.example'],
    ['null', 'null'],
  ])('normalises %s to %s', (input, expected) => {
    expect(parseOrigin(input)).toBe(expected)
  })

  it.each([
    [''],
    ['garbage'],
    ['NULL'],
    ['Null'],
    ['javascript:alert(1)'],
    ['data:text/html,x'],
    ['file:///etc/passwd'],
    ['ftp://shop.example'],
    ['ws://shop.example'],
    ['https://'],
    ['https://:443'],
    ['//shop.example'],
    ['shop.example'],
    ['https://shop.example/'],
    ['https://shop.example/path'],
    ['https://shop.example?x=1'],
    ['https://shop.example#top'],
    ['https://user@shop.example'],
    ['https://user:pass@shop.example'],
    ['https://evil.example\\@shop.example'],
    ['https://shop.example:'],
    ['https://shop.example:99999'],
    ['https://shop.example:8a'],
    ['https://%73hop.example'],
    ['https://shop example'],
    [' https://shop.example'],
    ['https://shop.example\r\n'],
    ['https://shop.example\u0000'],
    ['https://a..example'],
    ['https://*.shop.example'],
    ['https://a.*.example'],
    ['*'],
    ['https://ex$ample.com'],
    ['https://[::1'],
    ['https://[zz::1]'],
    ['https://xn--zz.example'],
    [`https://${'a'.repeat(600)}.example`],
  ])('refuses %j', (input) => {
    expect(parseOrigin(input)).toBeUndefined()
  })

  it('gives the same answer when asked again (cached)', () => {
    expect(parseOrigin('HTTPS://Cache.Example:443')).toBe('https://cache.example')
    expect(parseOrigin('HTTPS://Cache.Example:443')).toBe('https://cache.example')
    expect(parseOrigin('not an origin')).toBeUndefined()
    expect(parseOrigin('not an origin')).toBeUndefined()
  })

  it('keeps answering correctly after more distinct origins than the cache holds', () => {
    for (let i = 0; i < 3000; i += 1) expect(parseOrigin(`https://Site${i}.example`)).toBe(`https://site${i}.example`)
    expect(parseOrigin('https://SITE0.example')).toBe('https://site0.example')
  })
})

describe('parseOriginRule(input)', () => {
  it.each([
    ['https://shop.example', 'https://shop.example'],
    ['HTTPS://Shop.Example:443', 'https://shop.example'],
    ['https://shop.example:8443', 'https://shop.example:8443'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['https://*.shop.example', 'https://*.shop.example'],
    ['HTTPS://*.SHOP.Example:443', 'https://*.shop.example'],
    ['https://*.shop.example:8443', 'https://*.shop.example:8443'],
    ['http://*.shop.example', 'http://*.shop.example'],
    ['https://*.bücher.example', 'https://*.xn--bcher-kva.example'],
    ['https://*.a.b.shop.example', 'https://*.a.b.shop.example'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['*', '*'],
    ['null', 'null'],
  ])('accepts %s, stored as %s', (input, rule) => {
    expect(parseOriginRule(input)).toEqual({ ok: true, rule })
  })

  it.each([
    ['shop.example', /no scheme/],
    ['shop.example:8080', /no scheme/],
    ['shop.example/path', /no scheme.*https:\/\/shop\.example$/],
    ['https://shop.example/path', /has a path.*write https:\/\/shop\.example$/],
    ['https://shop.example/', /ends with \/.*write https:\/\/shop\.example$/],
    ['https://*.shop.example/', /ends with \/.*write https:\/\/\*\.shop\.example$/],
    ['https://shop.example?a=1', /query/],
    ['https://shop.example#x', /fragment/],
    ['https://user:pw@shop.example', /user information.*https:\/\/shop\.example$/],
    ['javascript:alert(1)', /only http:\/\/ and https:\/\//],
    ['data:text/html,hi', /only http:\/\/ and https:\/\//],
    ['ftp://shop.example', /scheme ftp:/],
    ['chrome-extension://abcdef', /scheme chrome-extension:/],
    ['*.example', /no scheme/],
    ['*.shop.example', /no scheme/],
    ['https://*.', /needs a domain after \*\./],
    ['https://*.:443', /needs a domain after \*\./],
    ['https://*', /wrong place/],
    ['https://a.*.b', /wrong place/],
    ['https://*shop.example', /wrong place/],
    ['https://*.*.shop.example', /wrong place/],
    ['https://shop.*', /wrong place/],
    ['https://*.example', /too broad/],
    ['https://*.localhost', /too broad/],
    [' https://shop.example', /whitespace/],
    ['https://shop.example ', /whitespace/],
    ['https://shop.example\n', /whitespace/],
    ['https://sh op.example', /whitespace/],
    ['https://shop.example:99999', /65535/],
    ['https://shop.example:', /malformed host or port/],
    ['https://shop.example:http', /malformed host or port/],
    ['https://', /no host/],
    ['https://%73hop.example', /percent/],
    ['https://evil.example\\shop.example', /backslash/],
    ['https://ex$ample.com', /valid host name/],
    ['NULL', /lower case: null/],
    ['', /empty/],
    [`https://${'a'.repeat(600)}.example`, /at most 512/],
  ])('refuses %j with a reason matching %s', (input, reason) => {
    const result = parseOriginRule(input)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason).toMatch(reason)
  })

  it('keeps an overlong value out of the reason', () => {
    const result = parseOriginRule(`https://${'x'.repeat(300)}.example/path`)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason.length).toBeLessThan(400)
  })
})

describe('parseNewOriginRule(input): rules being registered', () => {
  it.each([
    ['https://*.co.uk', 'co.uk'],
    ['https://*.github.io', 'github.io'],
    ['http://*.co.jp:8080', 'co.jp'],
    ['https://*.CO.UK', 'co.uk'],
    ['https://*.s3.amazonaws.com', 's3.amazonaws.com'],
  ])('refuses the wildcard %s, which sits over the public suffix %s', (input, suffix) => {
    const result = parseNewOriginRule(input)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason).toContain(`${suffix} is a public suffix`)
    // Only registration refuses it: a stored rule still parses, so it keeps matching until changed.
    expect(parseOriginRule(input).ok).toBe(true)
  })

  it.each([
    ['https://*.shop.co.uk', 'https://*.shop.co.uk'],
    ['https://*.myname.github.io', 'https://*.myname.github.io'],
    ['https://*.shop.example', 'https://*.shop.example'],
    ['https://shop.co.uk', 'https://shop.co.uk'],
    ['*', '*'],
    ['null', 'null'],
  ])('accepts %s as before', (input, rule) => {
    expect(parseNewOriginRule(input)).toEqual({ ok: true, rule })
  })

  it('still gives the syntax reasons first', () => {
    expect(parseNewOriginRule('https://*.example')).toEqual(parseOriginRule('https://*.example'))
    expect(parseNewOriginRule('ftp://*.co.uk').ok).toBe(false)
  })
})

describe('createOriginMatcher(rules)', () => {
  const match = createOriginMatcher(['https://shop.example', 'https://*.shop.example', 'https://api.example:8443'])

  it.each([
    ['https://shop.example', 'https://shop.example'],
    ['HTTPS://SHOP.EXAMPLE', 'https://shop.example'],
    ['https://shop.example:443', 'https://shop.example'],
    ['https://cdn.shop.example', 'https://*.shop.example'],
    ['https://a.b.shop.example', 'https://*.shop.example'],
    ['https://CDN.Shop.Example:443', 'https://*.shop.example'],
    ['https://api.example:8443', 'https://api.example:8443'],
  ])('matches %s by the rule %s', (origin, rule) => {
    expect(match(origin)).toMatchObject({ matched: true, rule })
  })

  it.each([
    ['https://shop.example.evil.net', 'https://*.shop.example: its host is not under shop.example'],
    ['https://evilshop.example', 'https://*.shop.example: its host is not under shop.example'],
    ['http://shop.example', 'https://shop.example: its scheme is http'],
    ['http://cdn.shop.example', 'https://*.shop.example: its scheme is http'],
    ['https://shop.example:8443', 'https://shop.example: its port is 8443'],
    ['https://cdn.shop.example:8443', 'https://*.shop.example: its port is 8443'],
    ['https://api.example', 'https://api.example:8443: its port is 443 (default)'],
    ['https://other.example', 'https://other.example does not match'],
    ['null', 'only matched by an explicit null rule'],
    ['garbage', 'not a valid origin'],
    ['https://shop.example/', 'not a valid origin'],
  ])('refuses %s, explaining %j', (origin, reason) => {
    const result = match(origin)
    expect(result.matched).toBe(false)
    expect(result.rule).toBeUndefined()
    expect(result.reason).toContain(reason)
  })

  it('names the look-alike and the rule it failed, the way explain shows it', () => {
    expect(match('https://shop.example.evil.net').reason).toMatch(
      /^https:\/\/shop\.example\.evil\.net does not match https:\/\/\*\.shop\.example: its host is not under shop\.example/,
    )
  })

  it('explains that a wildcard never matches its own domain', () => {
    const wildcardOnly = createOriginMatcher(['https://*.shop.example'])
    expect(wildcardOnly('https://shop.example')).toMatchObject({ matched: false })
    expect(wildcardOnly('https://shop.example').reason).toContain('not shop.example itself')
  })

  it('matches IDN origins in punycode, whichever form the rule and the request use', () => {
    const idn = createOriginMatcher(['https://bücher.example', 'https://*.straße.example'])
    expect(idn('https://xn--bcher-kva.example')).toMatchObject({ matched: true, rule: 'https://xn--bcher-kva.example' })
    expect(idn('https://bücher.example').matched).toBe(true)
    expect(idn('https://cdn.xn--strae-oqa.example').matched).toBe(true)
  })

  it('lets * match every origin except null', () => {
    const any = createOriginMatcher(['*'])
    expect(any('https://anything.example')).toMatchObject({ matched: true, rule: '*' })
    expect(any('http://localhost:1234')).toMatchObject({ matched: true, rule: '*' })
    expect(any('null').matched).toBe(false)
    expect(any('null').reason).toContain('* never matches it')
    expect(any('garbage').matched).toBe(false)
  })

  it('matches null only through an explicit null rule', () => {
    expect(createOriginMatcher(['null'])('null')).toMatchObject({ matched: true, rule: 'null' })
    expect(createOriginMatcher(['null'])('https://shop.example').matched).toBe(false)
  })

  it('prefers an exact or wildcard rule over * when naming the rule', () => {
    expect(createOriginMatcher(['*', 'https://shop.example'])('https://shop.example').rule).toBe('https://shop.example')
  })

  it('matches nothing when there are no rules, and says the folder is not shared', () => {
    const none = createOriginMatcher([])
    expect(none('https://shop.example')).toMatchObject({ matched: false })
    expect(none('https://shop.example').reason).toContain('no origin rules')
  })

  it('normalises rules that were stored unnormalised and ignores ones that are not rules', () => {
    const messy = createOriginMatcher(['HTTPS://Shop.Example:443', 'shop.example', 'https://*.example'])
    expect(messy('https://shop.example').matched).toBe(true)
    expect(messy('https://x.example').matched).toBe(false)
  })

  it('gives the same frozen answer for the same input (cached)', () => {
    const first = match('https://cdn.shop.example')
    expect(match('https://cdn.shop.example')).toBe(first)
    expect(Object.isFrozen(first)).toBe(true)
  })

  it('keeps answering correctly, and keeps the origin in use, while more distinct origins pass than it remembers', () => {
    const hot = match('https://cdn.shop.example')
    for (let i = 0; i < 1000; i += 1) {
      expect(match(`https://site${i}.example`).matched).toBe(false)
      // Least recently used goes first: an origin a page keeps sending outlives the churn.
      expect(match('https://cdn.shop.example')).toBe(hot)
    }
    expect(match('https://site0.example').reason).toContain('https://site0.example does not match')
  })

  it('names only the three closest of many unrelated rules, and counts the rest', () => {
    const many = createOriginMatcher(Array.from({ length: 20 }, (_, i) => `https://site${i}.example`))
    expect(many('https://other.example').reason).toBe(
      'https://other.example does not match https://site0.example: its host other.example is not site0.example; ' +
        'nor https://site1.example: its host other.example is not site1.example; ' +
        'nor https://site2.example: its host other.example is not site2.example (nor any of the 17 other rules)',
    )
  })

  // Issue #20: from four rules on, the demo's look-alike collapsed into "matches none of the 4 origin rules".
  it('keeps the look-alike reason when the folder has many rules', () => {
    const rules = ['https://a.example', 'https://b.example', 'http://localhost:3000', 'https://shop.example', 'https://c.example']
    const reason = createOriginMatcher(rules)('https://shop.example.evil.net').reason
    expect(reason).toMatch(/^https:\/\/shop\.example\.evil\.net does not match https:\/\/shop\.example: its host shop\.example\.evil\.net is not shop\.example \(a look-alike/)
    expect(reason).toContain('(nor any of the 2 other rules)')
    expect(reason).not.toContain('matches none')
  })

  it('ranks the closest rules first: same host, then same registrable domain, then look-alikes, then same scheme', () => {
    const rules = [
      'http://unrelated.example',
      'https://other.example',
      'https://shop.example.evil.net',
      'https://www.shop.example',
      'http://cdn.shop.example',
    ]
    const reason = createOriginMatcher(rules)('https://cdn.shop.example').reason
    const named = [...reason.matchAll(/(?:does not match|nor) (\S+):/g)].map((m) => m[1])
    expect(named).toEqual(['http://cdn.shop.example', 'https://www.shop.example', 'https://other.example'])
    expect(reason).toContain('nor https://www.shop.example: its host cdn.shop.example is not www.shop.example')
    expect(reason).toContain('(nor any of the 2 other rules)')
  })

  it('puts a look-alike before unrelated rules of the same scheme', () => {
    const rules = ['https://one.example', 'https://two.example', 'https://three.example', 'https://four.example', 'https://*.shop.example']
    const reason = createOriginMatcher(rules)('https://shop.example.evil.net').reason
    expect(reason).toMatch(/^https:\/\/shop\.example\.evil\.net does not match https:\/\/\*\.shop\.example: its host is not under shop\.example/)
  })
})

describe('originOfUrl(url)', () => {
  it.each([
    ['https://Shop.Example/page?q=1#x', 'https://shop.example'],
    ['http://shop.example:80/a', 'http://shop.example'],
    ['https://bücher.example/', 'https://xn--bcher-kva.example'],
    ['about:blank', undefined],
    ['android-app://com.example/', undefined],
    ['not a url', undefined],
    ['', undefined],
  ])('gives the origin of %j as %s', (url, origin) => {
    expect(originOfUrl(url)).toBe(origin)
  })
})
