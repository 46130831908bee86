import { availableParallelism } from 'node:os'
import { ConfigError, loadConfig } from '../../src/config/config'

const problemsOf = (env: Record<string, string>): readonly string[] => {
  try {
    loadConfig(env, '/srv/crossport')
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig(env)', () => {
  describe('when nothing is set', () => {
    const config = loadConfig({}, '/srv/crossport')

    it('uses the documented defaults for listeners', () => {
      expect([config.port, config.host, config.adminPort, config.adminHost]).toEqual([8080, '0.0.0.0', 8081, '127.0.0.1'])
    })

    it('resolves relative paths against the working directory', () => {
      expect(config.assetsDir).toBe('/srv/crossport/assets')
      expect(config.databasePath).toBe('/srv/crossport/data/crossport.db')
    })

    it('leaves the admin token unset so one is generated', () => {
      expect(config.adminToken).toBeUndefined()
    })

    it('runs a single process', () => {
      expect(config.workers).toBe(1)
    })

    it('returns a frozen object', () => {
      expect(Object.isFrozen(config)).toBe(true)
    })
  })

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', ADMIN_TOKEN: '' }).port).toBe(8080)
  })

  it('treats values of only whitespace as unset, so the default applies', () => {
    // Every variable of .env.example.
    const names = [
      'PORT',
      'HOST',
      'ADMIN_PORT',
      'ADMIN_HOST',
      'ASSETS_DIR',
      'DATABASE_PATH',
      'DATABASE_URL',
      'DATABASE_POOL_SIZE',
      'ADMIN_TOKEN',
      'LOG_LEVEL',
      'LOG_PRETTY',
      'CACHE_DIR',
      'WORKERS',
      'SEED_DEMO',
      'FILE_CACHE_TTL_MS',
      'MEMORY_CACHE_FILE_BYTES',
      'MEMORY_CACHE_BYTES',
      'POLICY_POLL_MS',
      'DB_BUSY_RETRY_MS',
      'IMAGE_WIDTHS',
      'IMAGE_QUALITIES',
      'IMAGE_MAX_PIXELS',
      'IMAGE_CONCURRENCY',
      'IMAGE_QUEUE_LIMIT',
      'IMAGE_RENDER_TIMEOUT_MS',
      'CACHE_MAX_BYTES',
      'MAX_UPLOAD_BYTES',
      'ADMIN_BODY_LIMIT_BYTES',
      'SHUTDOWN_TIMEOUT_MS',
      'HEADERS_TIMEOUT_MS',
      'REQUEST_TIMEOUT_MS',
      'KEEP_ALIVE_TIMEOUT_MS',
      'MAX_CONNECTIONS',
      'ADMIN_ALLOWED_HOSTS',
      'METRICS_TOKEN',
      'ADMIN_UNAUTHENTICATED_TIMEOUT_MS',
    ]
    const blank = Object.fromEntries(names.map((name, i) => [name, [' ', '\t', '  \n'][i % 3] as string]))
    const config = loadConfig(blank, '/srv/crossport')
    const defaults = loadConfig({}, '/srv/crossport')
    expect(config).toEqual(defaults)
    expect(config.port).toBe(8080)
  })

  it('reads every documented name', () => {
    const config = loadConfig({ PORT: '9000', ADMIN_PORT: '9001', WORKERS: '3', LOG_LEVEL: 'debug', IMAGE_WIDTHS: '640, 320,640' })
    expect(config.port).toBe(9000)
    expect(config.adminPort).toBe(9001)
    expect(config.workers).toBe(3)
    expect(config.logLevel).toBe('debug')
    expect(config.imageWidths).toEqual([320, 640])
  })

  it('bounds image renders at 10 s unless IMAGE_RENDER_TIMEOUT_MS says otherwise', () => {
    expect(loadConfig({}).imageRenderTimeoutMs).toBe(10_000)
    expect(loadConfig({ IMAGE_RENDER_TIMEOUT_MS: '2500' }).imageRenderTimeoutMs).toBe(2500)
  })

  describe('SHUTDOWN_TIMEOUT_MS and its old name SHUTDOWN_TIMEOUT', () => {
    it('gives in-flight responses 30 s by default, and warns about nothing', () => {
      const config = loadConfig({})
      expect(config.shutdownTimeoutMs).toBe(30_000)
      expect(config.warnings).toEqual([])
    })

    it('reads SHUTDOWN_TIMEOUT_MS in ms', () => {
      const config = loadConfig({ SHUTDOWN_TIMEOUT_MS: '2500' })
      expect(config.shutdownTimeoutMs).toBe(2500)
      expect(config.warnings).toEqual([])
    })

    it('still reads SHUTDOWN_TIMEOUT alone, with one warning naming the new name', () => {
      const config = loadConfig({ SHUTDOWN_TIMEOUT: '4000' })
      expect(config.shutdownTimeoutMs).toBe(4000)
      expect(config.warnings).toEqual(['SHUTDOWN_TIMEOUT is deprecated: it is read for now, but rename it to SHUTDOWN_TIMEOUT_MS (same value)'])
    })

    it('lets SHUTDOWN_TIMEOUT_MS win when both are set, warning once that the old one is ignored', () => {
      const config = loadConfig({ SHUTDOWN_TIMEOUT: '4000', SHUTDOWN_TIMEOUT_MS: '2500' })
      expect(config.shutdownTimeoutMs).toBe(2500)
      expect(config.warnings).toEqual(['SHUTDOWN_TIMEOUT is ignored because SHUTDOWN_TIMEOUT_MS is set; remove SHUTDOWN_TIMEOUT'])
    })

    it('names the old setting when its value is bad, and ignores a bad old value the new name overrides', () => {
      expect(problemsOf({ SHUTDOWN_TIMEOUT: 'soon' })).toEqual(['SHUTDOWN_TIMEOUT="soon": must be a number'])
      expect(problemsOf({ SHUTDOWN_TIMEOUT_MS: '-5' })[0]).toContain('SHUTDOWN_TIMEOUT_MS="-5"')
      expect(loadConfig({ SHUTDOWN_TIMEOUT: 'soon', SHUTDOWN_TIMEOUT_MS: '100' }).shutdownTimeoutMs).toBe(100)
    })

    it('treats an old name of only spaces as unset: no warning', () => {
      expect(loadConfig({ SHUTDOWN_TIMEOUT: '  ' }).warnings).toEqual([])
    })
  })

  it.each(['0', 'auto'])('WORKERS=%s means one worker per core', (value) => {
    expect(loadConfig({ WORKERS: value }).workers).toBe(availableParallelism())
  })

  describe('with bad values', () => {
    it.each([
      ['PORT', 'eighty', 'PORT="eighty"'],
      ['PORT', '70000', 'PORT="70000"'],
      ['WORKERS', '-2', 'WORKERS="-2"'],
      ['LOG_LEVEL', 'loud', 'LOG_LEVEL="loud"'],
      ['IMAGE_WIDTHS', '640,big', 'IMAGE_WIDTHS="640,big"'],
      ['SEED_DEMO', 'maybe', 'SEED_DEMO="maybe"'],
      ['IMAGE_RENDER_TIMEOUT_MS', '50', 'IMAGE_RENDER_TIMEOUT_MS="50"'],
    ])('names %s and its value in one line', (name, value, shown) => {
      const problems = problemsOf({ [name]: value })
      expect(problems).toHaveLength(1)
      expect(problems[0]).toContain(shown)
    })

    it('reports every bad value at once', () => {
      expect(problemsOf({ PORT: 'x', ADMIN_PORT: 'y', LOG_LEVEL: 'z' })).toHaveLength(3)
    })

    it('reads ADMIN_ON_MAIN as a boolean, off by default', () => {
      expect(loadConfig({ ADMIN_ON_MAIN: 'true', WORKERS: '2' }).adminOnMain).toBe(true)
      expect(loadConfig({}).adminOnMain).toBe(false)
      expect(problemsOf({ ADMIN_ON_MAIN: 'sometimes' })[0]).toContain('ADMIN_ON_MAIN="sometimes"')
    })

    it('reads DB_BUSY_RETRY_MS in ms, 5000 by default, and refuses a negative one', () => {
      expect(loadConfig({}).dbBusyRetryMs).toBe(5000)
      expect(loadConfig({ DB_BUSY_RETRY_MS: '250' }).dbBusyRetryMs).toBe(250)
      expect(problemsOf({ DB_BUSY_RETRY_MS: '-1' })[0]).toContain('DB_BUSY_RETRY_MS="-1"')
    })

    it('never prints the admin token it refuses', () => {
      const problems = problemsOf({ ADMIN_TOKEN: 'short-secret' })
      expect(problems[0]).toContain('ADMIN_TOKEN')
      expect(problems[0]).not.toContain('short-secret')
    })
  })

  describe('admin exposure settings', () => {
    it('leaves ADMIN_ALLOWED_HOSTS and METRICS_TOKEN unset and bounds unauthenticated requests to 10 s by default', () => {
      const config = loadConfig({})
      expect(config.adminAllowedHosts).toBeUndefined()
      expect(config.metricsToken).toBeUndefined()
      expect(config.adminUnauthenticatedTimeoutMs).toBe(10_000)
    })

    it('reads ADMIN_ALLOWED_HOSTS as canonical host names: lower-case, IPv6 without brackets, no trailing dot', () => {
      expect(loadConfig({ ADMIN_ALLOWED_HOSTS: ' Admin.Example., [fd00::1] ,10.0.0.5' }).adminAllowedHosts).toEqual(['admin.example', 'fd00::1', '10.0.0.5'])
      expect(loadConfig({ ADMIN_ALLOWED_HOSTS: '*' }).adminAllowedHosts).toEqual(['*'])
    })

    it.each(['admin.example:8081', 'https://admin.example', 'a b', '*,admin.example', ','])('refuses ADMIN_ALLOWED_HOSTS=%j', (value) => {
      const problems = problemsOf({ ADMIN_ALLOWED_HOSTS: value })
      expect(problems).toHaveLength(1)
      expect(problems[0]).toContain('ADMIN_ALLOWED_HOSTS')
    })

    it('never prints the metrics token it refuses', () => {
      const problems = problemsOf({ METRICS_TOKEN: 'short-secret' })
      expect(problems[0]).toContain('METRICS_TOKEN')
      expect(problems[0]).not.toContain('short-secret')
    })
  })

  describe('URL_SIGNING_KEYS', () => {
    const SECRET = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8'

    it('is unset by default', () => {
      expect(loadConfig({}, '/srv/crossport').urlSigningKeys).toBeUndefined()
    })

    it('reads kid:secret pairs; the first key signs and all verify', () => {
      const keys = loadConfig({ URL_SIGNING_KEYS: `new:${SECRET},old:${SECRET}` }, '/srv/crossport').urlSigningKeys
      expect(keys?.signer.kid).toBe('new')
      expect([...(keys?.byKid.keys() ?? [])]).toEqual(['new', 'old'])
    })

    it('stops start-up with one clear line for a short secret, and never prints the value', () => {
      const problems = problemsOf({ URL_SIGNING_KEYS: 'k1:c2hvcnQtc2VjcmV0' })
      expect(problems).toHaveLength(1)
      expect(problems[0]).toMatch(/^URL_SIGNING_KEYS=\(hidden\): .*at least 32/)
      expect(problems[0]).not.toContain('c2hvcnQtc2VjcmV0')
    })
  })

  describe('CDN settings', () => {
    const CDN_NAMES = ['CDN', 'CDN_PURGE_URLS', 'CDN_API_TOKEN', 'CDN_SERVICE_ID', 'CDN_API_URL', 'CACHE_TAG_HEADER', 'CDN_PURGE_TIMEOUT_MS', 'CDN_PURGE_RETRY_MAX_MS']

    it('has no CDN by default: no tag header, no purges', () => {
      expect(loadConfig({}).cdn).toEqual({
        kind: 'none',
        purgeUrls: [],
        apiToken: undefined,
        serviceId: undefined,
        apiUrl: undefined,
        tagHeader: undefined,
        purgeTimeoutMs: 5000,
        purgeRetryMaxMs: 300_000,
      })
    })

    it('treats blank CDN settings as unset', () => {
      const blank = Object.fromEntries(CDN_NAMES.map((name) => [name, ' ']))
      expect(loadConfig(blank).cdn).toEqual(loadConfig({}).cdn)
    })

    it('reads Varnish purge URLs as a list', () => {
      const { cdn } = loadConfig({ CDN: 'varnish', CDN_PURGE_URLS: 'http://10.0.0.5:6081/, http://10.0.0.6:6081' })
      expect(cdn.kind).toBe('varnish')
      expect(cdn.purgeUrls).toEqual(['http://10.0.0.5:6081/', 'http://10.0.0.6:6081'])
    })

    it('reads the API settings and drops a trailing slash of CDN_API_URL', () => {
      const { cdn } = loadConfig({ CDN: 'fastly', CDN_API_TOKEN: 'tok-123', CDN_SERVICE_ID: 'SU1Z0isxPaozGVKXdv0eY', CDN_API_URL: 'http://127.0.0.1:9999/', CACHE_TAG_HEADER: 'X-Tags' })
      expect([cdn.apiToken, cdn.serviceId, cdn.apiUrl, cdn.tagHeader]).toEqual(['tok-123', 'SU1Z0isxPaozGVKXdv0eY', 'http://127.0.0.1:9999', 'X-Tags'])
    })

    it.each([
      ['fastly', {}, ['CDN_API_TOKEN', 'CDN_SERVICE_ID']],
      ['cloudflare', { CDN_API_TOKEN: 't' }, ['CDN_SERVICE_ID']],
      ['bunny', { CDN_SERVICE_ID: '42' }, ['CDN_API_TOKEN']],
      ['akamai', { CDN_API_TOKEN: 'ct:cs:at' }, ['CDN_API_URL']],
      ['varnish', {}, ['CDN_PURGE_URLS']],
      ['webhook', {}, ['CDN_PURGE_URLS']],
    ])('stops start-up when CDN=%s lacks a setting it needs, naming it', (kind, extra, missing) => {
      const problems = problemsOf({ CDN: kind, ...extra })
      expect(problems).toEqual(missing.map((name) => expect.stringMatching(new RegExp(`^${name}=.*: must be set when CDN=${kind}$`))))
    })

    it('reports a missing CDN setting together with other bad values', () => {
      const problems = problemsOf({ CDN: 'fastly', CDN_API_TOKEN: 't', PORT: 'x' })
      expect(problems).toHaveLength(2)
      expect(problems).toContainEqual(expect.stringContaining('CDN_SERVICE_ID'))
    })

    it.each([
      ['CDN', 'squid', 'must be one of none, varnish'],
      ['CDN_PURGE_URLS', 'http://ok.example, ftp://x', 'not ftp://x'],
      ['CDN_API_URL', 'api.fastly.com', 'must be an http(s) URL'],
      ['CACHE_TAG_HEADER', 'Cache Tag', 'must be an HTTP header name'],
      ['CDN_PURGE_TIMEOUT_MS', '10', 'must be at least 100'],
    ])('refuses %s=%s', (name, value, message) => {
      const problems = problemsOf({ [name]: value })
      expect(problems).toHaveLength(1)
      expect(problems[0]).toContain(message)
    })

    it('wants the three EdgeGrid credentials in CDN_API_TOKEN for Akamai', () => {
      expect(problemsOf({ CDN: 'akamai', CDN_API_TOKEN: 'just-a-token', CDN_API_URL: 'https://akab-x.luna.akamaiapis.net' })).toEqual([
        'CDN_API_TOKEN=(hidden): must be client_token:client_secret:access_token when CDN=akamai',
      ])
    })

    it('never prints the CDN API token it refuses', () => {
      const problems = problemsOf({ CDN_API_TOKEN: 'secret with spaces' })
      expect(problems[0]).toContain('CDN_API_TOKEN=(hidden)')
      expect(problems.join()).not.toContain('secret')
    })
  })

  describe('asset store settings', () => {
    const S3 = { ASSET_STORE: 's3', S3_BUCKET: 'assets', S3_ACCESS_KEY_ID: 'AKIDEXAMPLE', S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI' }

    it('keeps assets in ASSETS_DIR by default, with no bucket settings', () => {
      expect(loadConfig({})).toMatchObject({ assetStore: 'fs', s3: undefined })
    })

    it('reads the bucket settings for ASSET_STORE=s3, path-style by default with an endpoint', () => {
      const { assetStore, s3 } = loadConfig({ ...S3, S3_ENDPOINT: 'http://127.0.0.1:7480/', S3_PREFIX: 'site-a/', S3_TIMEOUT_MS: '2500' })
      expect(assetStore).toBe('s3')
      expect(s3).toEqual({
        endpoint: 'http://127.0.0.1:7480',
        bucket: 'assets',
        region: 'us-east-1',
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI',
        prefix: 'site-a/',
        forcePathStyle: true,
        timeoutMs: 2500,
      })
    })

    it('uses virtual-host style on AWS unless S3_FORCE_PATH_STYLE says otherwise', () => {
      expect(loadConfig({ ...S3, S3_REGION: 'eu-west-1' }).s3).toMatchObject({ endpoint: undefined, region: 'eu-west-1', forcePathStyle: false, timeoutMs: 5000 })
      expect(loadConfig({ ...S3, S3_FORCE_PATH_STYLE: 'true' }).s3?.forcePathStyle).toBe(true)
      expect(loadConfig({ ...S3, S3_ENDPOINT: 'https://s3.example', S3_FORCE_PATH_STYLE: 'false' }).s3?.forcePathStyle).toBe(false)
    })

    it('falls back to AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY', () => {
      const env = { ASSET_STORE: 's3', S3_BUCKET: 'assets', AWS_ACCESS_KEY_ID: 'AKIDAWS', AWS_SECRET_ACCESS_KEY: 'awssecret' }
      expect(loadConfig(env).s3).toMatchObject({ accessKeyId: 'AKIDAWS', secretAccessKey: 'awssecret' })
      expect(loadConfig({ ...env, S3_ACCESS_KEY_ID: 'AKIDS3' }).s3?.accessKeyId).toBe('AKIDS3')
    })

    it('stops start-up when ASSET_STORE=s3 lacks the bucket or the keys, naming each', () => {
      expect(problemsOf({ ASSET_STORE: 's3' })).toEqual([
        'S3_BUCKET=undefined: must be set when ASSET_STORE=s3',
        'S3_ACCESS_KEY_ID=undefined: must be set when ASSET_STORE=s3 (or AWS_ACCESS_KEY_ID)',
        'S3_SECRET_ACCESS_KEY=(hidden): must be set when ASSET_STORE=s3 (or AWS_SECRET_ACCESS_KEY)',
      ])
    })

    it.each([
      ['ASSET_STORE', 'gcs', 'must be one of fs, s3'],
      ['S3_ENDPOINT', '127.0.0.1:7480', 'must be an http(s) URL'],
      ['S3_BUCKET', 'My_Bucket', 'must be a bucket name'],
      ['S3_PREFIX', '/site-a/', 'without a leading /'],
      ['S3_FORCE_PATH_STYLE', 'maybe', 'must be true or false'],
      ['S3_TIMEOUT_MS', '10', 'must be at least 100'],
    ])('refuses %s=%s', (name, value, message) => {
      const problems = problemsOf({ [name]: value })
      expect(problems).toHaveLength(1)
      expect(problems[0]).toContain(message)
    })

    it('never prints the secret key it refuses', () => {
      const problems = problemsOf({ S3_SECRET_ACCESS_KEY: 'secret with spaces' })
      expect(problems).toEqual(['S3_SECRET_ACCESS_KEY=(hidden): must be printable ASCII without spaces'])
    })
  })

  describe('database settings', () => {
    it('keeps SQLite when DATABASE_URL is unset, with a pool of 4 for when it is set', () => {
      expect(loadConfig({}).databaseUrl).toBeUndefined()
      expect(loadConfig({}).databasePoolSize).toBe(4)
    })

    it.each(['postgres://crossport:pw@db.internal:5432/crossport', 'postgresql://db.internal/crossport'])('reads DATABASE_URL=%s', (url) => {
      expect(loadConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: '10' })).toMatchObject({ databaseUrl: url, databasePoolSize: 10 })
    })

    it.each([
      ['mysql://db/crossport', 'must start with postgres:// or postgresql://'],
      ['db.internal:5432', 'must start with postgres:// or postgresql://'],
      ['not a url', 'must be a URL'],
      ['postgres:///crossport', 'must name the host'],
    ])('refuses DATABASE_URL=%s, naming the variable without showing its value', (url, message) => {
      const problems = problemsOf({ DATABASE_URL: url })
      expect(problems).toHaveLength(1)
      expect(problems[0]).toMatch(/^DATABASE_URL=\(hidden\): /)
      expect(problems[0]).toContain(message)
    })

    it.each(['0', '-1', 'many', '1.5', '101'])('refuses DATABASE_POOL_SIZE=%s', (value) => {
      const problems = problemsOf({ DATABASE_POOL_SIZE: value })
      expect(problems).toHaveLength(1)
      expect(problems[0]).toContain(`DATABASE_POOL_SIZE="${value}": must be a whole number from 1 to 100`)
    })
  })
})
