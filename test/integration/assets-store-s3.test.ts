import { createServer, type Server, type Socket } from 'node:net'
import { Readable, Writable } from 'node:stream'
import sharp from 'sharp'
import { CrossportError } from '../../src/http/errors'
import type { S3Settings } from '../../src/config/s3-settings'
import { openS3Store } from '../../src/store/s3/open'
import { S3AssetStore, type S3AssetStoreOptions } from '../../src/store/s3/s3-store'
import { describeAssetStoreContract } from '../helpers/asset-store-contract'
import { startTestCrossport } from '../helpers/crossport'
import { tcpRelay } from '../helpers/tcp-relay'
import { useSuiteBucket } from '../helpers/rgw'

// The run's one gateway; this file's bucket, and a prefix of its own for every store.
const bucket = useSuiteBucket()

// Generous for the working store (a fresh bucket's first writes are slow on a busy machine); the fault tests use their own.
const TIMEOUT_MS = 10_000
const FAULT_TIMEOUT_MS = 1500
const PART = 5 * 1024 * 1024
let stores = 0
const makeStore = (options: Partial<S3AssetStoreOptions> = {}): S3AssetStore =>
  new S3AssetStore(bucket().storeOptions(`store-${++stores}/`, { timeoutMs: TIMEOUT_MS, partBytes: PART, ...options }))

describeAssetStoreContract(
  'S3AssetStore on Ceph RGW',
  async () => {
    const store = makeStore()
    return { store, dispose: async () => store.close() }
  },
  { etags: 'content' },
)

/** A body of `size` bytes in 64 KiB chunks, made only when read; `produced` counts what was made. */
function lazyBody(size: number, failAfter = Infinity): Readable & { produced: number } {
  const body = Object.assign(
    new Readable({
      read() {
        if (body.produced >= failAfter) return void this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }))
        if (body.produced >= size) return void this.push(null)
        const chunk = Buffer.alloc(Math.min(64 * 1024, size - body.produced), body.produced % 251)
        body.produced += chunk.length
        this.push(chunk)
      },
    }),
    { produced: 0 },
  )
  return body
}

/** ListMultipartUploads of the store's own prefix. */
const pendingUploads = async (store: S3AssetStore): Promise<string> =>
  (await store.client.expectOk({ method: 'GET', key: '', query: { uploads: '', prefix: store.keys.prefix } })).body

const collect = () => {
  const chunks: Buffer[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk)
      callback()
    },
  })
  return { sink, chunks }
}

describe('S3AssetStore on Ceph RGW', () => {
  let store: S3AssetStore
  beforeEach(() => {
    store = makeStore()
  })
  afterEach(() => store.close())

  it('streams a body larger than one part as a multipart upload, holding the body back to about one part', async () => {
    const size = 3 * PART
    const body = lazyBody(size)
    // At each part's upload: how much of the body had been produced beyond the parts sent before it.
    const ahead: number[] = []
    let sentInParts = 0
    const send = store.client.send.bind(store.client)
    jest.spyOn(store.client, 'send').mockImplementation((req) => {
      if (req.query?.partNumber !== undefined) {
        ahead.push(body.produced - sentInParts)
        sentInParts += req.body?.length ?? 0
      }
      return send(req)
    })
    const { after } = await store.put('/video/big.bin', body, { maxBytes: size })
    expect(after.sizeBytes).toBe(size)
    expect(after.etag).toMatch(/-3"$/)
    expect(ahead).toHaveLength(3)
    for (const bytes of ahead) expect(bytes).toBeLessThan(PART + 1024 * 1024)
    const opened = await store.open(after.key)
    const { sink, chunks } = collect()
    await opened?.sendTo(sink, PART - 2, PART + 1).done
    const fill = (offset: number) => (Math.floor(offset / (64 * 1024)) * 64 * 1024) % 251
    expect([...Buffer.concat(chunks)]).toEqual([PART - 2, PART - 1, PART, PART + 1].map(fill))
    expect(await pendingUploads(store)).not.toContain('<Upload>')
  })

  it('aborts the multipart upload when the body fails, the limit is passed or the precondition refuses: no parts remain', async () => {
    await expect(store.put('/a.bin', lazyBody(3 * PART, PART + 512 * 1024), { maxBytes: 4 * PART })).rejects.toThrow(/aborted/)
    await expect(store.put('/b.bin', lazyBody(3 * PART), { maxBytes: PART + 1024 * 1024 })).rejects.toThrow(/MAX_UPLOAD_BYTES/)
    const refuse = () => {
      throw new CrossportError('PRECONDITION_FAILED', 'refused')
    }
    await expect(store.put('/c.bin', lazyBody(PART + 1), { maxBytes: 2 * PART, precondition: refuse })).rejects.toThrow('refused')
    expect(await pendingUploads(store)).not.toContain('<Upload>')
    expect((await store.list({ prefix: '/', limit: 10 })).items).toEqual([])
  })

  it('gives uploaded objects the media type of their name, for other readers of the bucket', async () => {
    await store.put('/site/app.css', Readable.from([Buffer.from('body{}')]), { maxBytes: 100 })
    await store.put('/site/clip.mp4', lazyBody(2 * PART), { maxBytes: 3 * PART })
    const typeOf = async (path: string) => (await store.client.call({ method: 'HEAD', key: store.keys.keyFor(path) })).headers['content-type']
    expect([await typeOf('/site/app.css'), await typeOf('/site/clip.mp4')]).toEqual(['text/css; charset=utf-8', 'video/mp4'])
  })

  it('serves objects written by another client like uploaded ones', async () => {
    await store.client.expectOk({ method: 'PUT', key: `${store.keys.prefix}tool/x.css`, body: Buffer.from('body{}') })
    const found = await store.lookup('/tool/x.css')
    expect(found).toMatchObject({ path: '/tool/x.css', sizeBytes: 6, etag: '"' + found?.revision + '"' })
    expect((await store.list({ prefix: '/tool/', limit: 10 })).items).toEqual([found])
    expect((await (await store.open(found?.key ?? ''))?.readAll())?.toString()).toBe('body{}')
  })

  it('signs and lists keys with spaces, plus signs and non-ASCII letters', async () => {
    const path = "/a b/ü+x (1)&'.txt"
    const { after } = await store.put(path, Readable.from([Buffer.from('odd')]), { maxBytes: 100 })
    expect(await store.lookup(path)).toEqual(after)
    expect((await store.list({ prefix: '/a b/', limit: 10 })).items.map((item) => item.path)).toEqual([path])
    expect((await (await store.open(after.key))?.readAll())?.toString()).toBe('odd')
  })

  it.each([
    ['create if absent (If-None-Match: *)', undefined, 4],
    ['replace if unchanged (If-Match)', 'ours', 4],
    // The largest body still sent as one PUT (8 MiB with the default part size).
    ['create a body of exactly one part', undefined, PART],
  ])('completes "%s" only if no other host wrote the object after the precondition ran', async (_name, existing, size) => {
    const key = store.keys.prefix + 'race.bin'
    if (existing !== undefined) await store.put('/race.bin', Readable.from([Buffer.from(existing)]), { maxBytes: 100 })
    const send = store.client.send.bind(store.client)
    // Another host's PUT lands right between this host's precondition and its own PUT.
    const spy = jest.spyOn(store.client, 'send').mockImplementation(async (req) => {
      if (req.method === 'PUT' && req.key === key) (await send({ method: 'PUT', key, body: Buffer.from('theirs') })).resume()
      return send(req)
    })
    const error = await store.put('/race.bin', lazyBody(size), { maxBytes: 2 * PART, precondition: () => undefined }).catch((e: unknown) => e)
    spy.mockRestore()
    expect(error).toMatchObject({ code: 'PRECONDITION_FAILED', status: 412 })
    expect((await (await store.open(key))?.readAll())?.toString()).toBe('theirs')
  })

  // What the documentation says is not atomic across hosts: RGW completes a multipart
  // upload whatever its If-None-Match / If-Match say, so the last completion wins.
  it('completes a multipart upload even when another host wrote the object after the precondition ran (RGW ignores the condition)', async () => {
    const key = store.keys.prefix + 'multi.bin'
    const send = store.client.send.bind(store.client)
    const seen: Array<Readonly<Record<string, string>> | undefined> = []
    const spy = jest.spyOn(store.client, 'send').mockImplementation(async (req) => {
      if (req.method === 'POST' && req.key === key && req.query?.uploadId !== undefined) {
        seen.push(req.headers)
        ;(await send({ method: 'PUT', key, body: Buffer.from('theirs') })).resume()
      }
      return send(req)
    })
    const { after } = await store.put('/multi.bin', lazyBody(2 * PART), { maxBytes: 3 * PART, precondition: () => undefined })
    spy.mockRestore()
    expect(seen).toEqual([{ 'If-None-Match': '*' }])
    expect([after.sizeBytes, after.etag]).toEqual([2 * PART, expect.stringMatching(/-2"$/)])
    expect(await store.stat('/multi.bin')).toEqual(after)
  })

  it('sends no byte of a version replaced after it was opened', async () => {
    await store.put('/v.txt', Readable.from([Buffer.from('first version')]), { maxBytes: 100 })
    const opened = await store.open((await store.lookup('/v.txt'))?.key ?? '')
    await store.put('/v.txt', Readable.from([Buffer.from('SECOND VERSION')]), { maxBytes: 100 })
    const { sink, chunks } = collect()
    await expect(opened?.sendTo(sink, 0, 12).done).rejects.toThrow(/412/)
    expect(chunks).toEqual([])
    expect(sink.destroyed).toBe(true)
  })

  it('aborts the GET when the client goes away mid-transfer', async () => {
    const size = 4 * 1024 * 1024
    await store.put('/long.bin', Readable.from([Buffer.alloc(size, 3)]), { maxBytes: size })
    const opened = await store.open((await store.lookup('/long.bin'))?.key ?? '')
    const signals: AbortSignal[] = []
    const send = store.client.send.bind(store.client)
    jest.spyOn(store.client, 'send').mockImplementation((req) => {
      if (req.signal !== undefined) signals.push(req.signal)
      return send(req)
    })
    const sink = new Writable({
      write(_chunk: Buffer, _encoding, callback) {
        callback()
        this.destroy()
      },
    })
    const transfer = opened?.sendTo(sink, 0, size - 1)
    await transfer?.done
    expect(transfer?.bytesSent).toBeLessThan(size)
    expect(signals.map((signal) => signal.aborted)).toEqual([true])
  })

  describe('when the endpoint is slow or down', () => {
    let silent: Server | undefined
    const held: Socket[] = []
    afterAll(() => {
      for (const socket of held) socket.destroy()
      return new Promise<void>((resolve) => (silent === undefined ? resolve() : silent.close(() => resolve())))
    })

    const expectUnavailable = async (work: Promise<unknown>) => {
      const started = performance.now()
      const error = await work.then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(CrossportError)
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503, headers: { 'Retry-After': expect.any(String) } })
      expect(performance.now() - started).toBeLessThan(FAULT_TIMEOUT_MS + 1000)
    }

    it('rejects with a typed 503 within S3_TIMEOUT_MS when the endpoint accepts but never answers', async () => {
      const server = createServer((socket) => held.push(socket))
      silent = server
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const address = server.address()
      const stalled = makeStore({ endpoint: `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`, timeoutMs: FAULT_TIMEOUT_MS })
      await expectUnavailable(stalled.lookup('/x.txt'))
      await expectUnavailable(stalled.list({ prefix: '/', limit: 10 }))
      stalled.close()
    })

    it('rejects with a typed 503 while RGW is unreachable, and serves again once it is back', async () => {
      // The gateway is shared by the whole run: the outage is a relay in front of it, switched off.
      const relay = await tcpRelay(Number(new URL(bucket().endpoint).port))
      await relay.start()
      store = makeStore({ timeoutMs: FAULT_TIMEOUT_MS, endpoint: `http://127.0.0.1:${relay.port}` })
      await store.put('/up.txt', Readable.from([Buffer.from('still here')]), { maxBytes: 100 })
      await relay.stop()
      try {
        await expectUnavailable(store.lookup('/up.txt'))
        await expectUnavailable(store.stat('/up.txt'))
        await expectUnavailable(store.put('/new.txt', Readable.from([Buffer.from('x')]), { maxBytes: 100 }))
        expect(await store.checkBucket()).toMatchObject({ status: 0, detail: expect.stringMatching(/unavailable/) })
      } finally {
        await relay.start()
      }
      expect(await store.lookup('/up.txt')).toMatchObject({ sizeBytes: 10 })
      expect(await store.checkBucket()).toMatchObject({ status: 200 })
      await relay.stop()
    })
  })

  it('stops start-up with one line naming the setting and what the endpoint answered', async () => {
    const settings = { ...makeStore().client.options, prefix: '' }
    const failure = (changes: Partial<S3Settings>) => openS3Store({ ...settings, ...changes }).then(() => 'started', (e: Error) => e.message)
    expect(await failure({ bucket: 'no-such-bucket' })).toMatch(/^S3_BUCKET=no-such-bucket: .* answered 404 \(no such bucket\)$/)
    expect(await failure({ secretAccessKey: 'wrong' })).toMatch(/^S3_ACCESS_KEY_ID=crossporttestkey \/ S3_SECRET_ACCESS_KEY: .* answered 403/)
    expect(await failure({ endpoint: 'http://127.0.0.1:1' })).toMatch(/^S3_ENDPOINT=http:\/\/127.0.0.1:1: .*ECONNREFUSED/)
    const store = await openS3Store(settings)
    store.close()
  })
})

describe('Crossport with ASSET_STORE=s3', () => {
  const env = () => bucket().env(`app-${++stores}/`)

  it('takes an upload into the bucket and serves it, ranges included', async () => {
    const cp = await startTestCrossport({ env: env() })
    try {
      const put = await fetch(`${cp.adminUrl}/admin/v1/assets/docs/readme.txt`, { method: 'PUT', headers: { authorization: `Bearer ${cp.token}` }, body: 'stored in RGW' })
      expect(put.status).toBe(201)
      expect(await (await fetch(`${cp.publicUrl}/docs/readme.txt`)).text()).toBe('stored in RGW')
      const range = await fetch(`${cp.publicUrl}/docs/readme.txt`, { headers: { range: 'bytes=10-12' } })
      expect([range.status, await range.text()]).toEqual([206, 'RGW'])
    } finally {
      await cp.close()
    }
  })

  it('sends S3 a precondition only for a conditional upload: an unconditional one is last-writer-wins', async () => {
    const relay = await tcpRelay(Number(new URL(bucket().endpoint).port))
    await relay.start()
    const cp = await startTestCrossport({ env: { ...env(), S3_ENDPOINT: `http://127.0.0.1:${relay.port}` } })
    const upload = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${cp.adminUrl}/admin/v1/assets${path}`, { method: 'PUT', headers: { authorization: `Bearer ${cp.token}`, ...headers }, body: 'x' })
    const putHeads = (path: string) => relay.sent().split('\r\n\r\n').filter((head) => head.includes(`PUT /${bucket().bucket}/`) && head.includes(path))
    try {
      expect((await upload('/plain.txt')).status).toBe(201)
      expect((await upload('/plain.txt')).status).toBe(200)
      expect((await upload('/guarded.txt', { 'if-none-match': '*' })).status).toBe(201)
      expect(putHeads('plain.txt')).toHaveLength(2)
      for (const head of putHeads('plain.txt')) expect(head).not.toMatch(/^if-(none-)?match:/im)
      expect(putHeads('guarded.txt')).toEqual([expect.stringMatching(/^if-none-match: \*$/im)])
    } finally {
      await cp.close()
      await relay.stop()
    }
  })

  it('renders image derivatives from the bucket (the source read from RGW, not a local file)', async () => {
    const cp = await startTestCrossport({ env: env() })
    try {
      const png = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#3366cc' } }).png().toBuffer()
      const put = await fetch(`${cp.adminUrl}/admin/v1/assets/img/box.png`, { method: 'PUT', headers: { authorization: `Bearer ${cp.token}` }, body: png })
      expect(put.status).toBe(201)
      const derived = await fetch(`${cp.publicUrl}/img/box.png?w=128&fmt=webp`)
      expect(derived.status).toBe(200)
      expect(derived.headers.get('content-type')).toBe('image/webp')
      const meta = await sharp(Buffer.from(await derived.arrayBuffer())).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', 128, 96])
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="red"/></svg>'
      await fetch(`${cp.adminUrl}/admin/v1/assets/img/mark.svg`, { method: 'PUT', headers: { authorization: `Bearer ${cp.token}`, 'content-type': 'image/svg+xml' }, body: svg })
      const raster = await fetch(`${cp.publicUrl}/img/mark.svg?w=64&fmt=png`)
      expect(raster.status).toBe(200)
      expect((await sharp(Buffer.from(await raster.arrayBuffer())).metadata()).width).toBe(64)
    } finally {
      await cp.close()
    }
  })

  it('answers 503 with Retry-After on the public side and in /readyz (naming the bucket) while the bucket is unreachable, and recovers', async () => {
    const relay = await tcpRelay(Number(new URL(bucket().endpoint).port))
    await relay.start()
    const cp = await startTestCrossport({ env: { ...env(), S3_ENDPOINT: `http://127.0.0.1:${relay.port}`, S3_TIMEOUT_MS: '1500' } })
    try {
      const put = await fetch(`${cp.adminUrl}/admin/v1/assets/down/a.txt`, { method: 'PUT', headers: { authorization: `Bearer ${cp.token}` }, body: 'here' })
      expect(put.status).toBe(201)
      await relay.stop()
      const ready = await fetch(`${cp.publicUrl}/readyz`)
      expect(ready.status).toBe(503)
      expect(JSON.stringify(await ready.json())).toMatch(/S3 bucket .* at http:\/\/127\.0\.0\.1:\d+/)
      const startedAt = Date.now()
      const down = await fetch(`${cp.publicUrl}/down/a.txt`)
      expect(down.status).toBe(503)
      expect(down.headers.get('retry-after')).not.toBeNull()
      expect(down.headers.get('cache-control')).toMatch(/no-store/)
      expect(Date.now() - startedAt).toBeLessThan(1500 + 3000)
      await relay.start()
      const back = await fetch(`${cp.publicUrl}/down/a.txt`)
      expect([back.status, await back.text()]).toEqual([200, 'here'])
      expect((await fetch(`${cp.publicUrl}/readyz`)).status).toBe(200)
    } finally {
      await cp.close()
      await relay.stop()
    }
  })

  it('does not start when the bucket is missing, naming S3_BUCKET and the answer', async () => {
    const error = await startTestCrossport({ env: { ...env(), S3_BUCKET: 'missing-bucket' } }).catch((e: Error) => e)
    expect((error as Error).message).toMatch(/^S3_BUCKET=missing-bucket: .* answered 404 \(no such bucket\)$/)
  })
})
