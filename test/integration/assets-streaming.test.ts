import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { request, type ClientRequest, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'

const MIB = 1024 * 1024
const LIMIT_BYTES = 1 * MIB

let cp: TestCrossport

beforeAll(async () => {
  cp = await startTestCrossport({ env: { MAX_UPLOAD_BYTES: String(LIMIT_BYTES) } })
})

afterAll(async () => {
  await cp.close()
})

const tempDir = () => join(cp.assetsDir, '.crossport-tmp')
const tempFiles = () => (existsSync(tempDir()) ? readdirSync(tempDir()) : [])

/** The server exposes no event for "cleanup done after a client vanished", so poll the disk, bounded. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

function openPut(path: string, headers: Record<string, string | number> = {}): { req: ClientRequest; response: Promise<IncomingMessage> } {
  const { hostname, port } = new URL(cp.adminUrl)
  const req = request({ hostname, port, method: 'PUT', path: `/admin/v1/assets${path}`, headers: { authorization: `Bearer ${cp.token}`, ...headers } })
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on('response', resolve)
    req.on('error', reject)
  })
  return { req, response }
}

const readBody = (res: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = ''
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => (text += chunk))
    res.on('end', () => resolve(text))
    res.on('error', reject)
  })

/** Writes `chunk` until `stop()` says so or `maxBytes` went out, honouring back-pressure. */
async function writeUntil(req: ClientRequest, chunk: Buffer, stop: () => boolean, maxBytes: number): Promise<number> {
  let sent = 0
  while (!stop() && sent < maxBytes && !req.destroyed) {
    sent += chunk.length
    if (!req.write(chunk)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          req.off('drain', done).off('close', done)
          resolve()
        }
        req.on('drain', done).on('close', done)
      })
    }
  }
  return sent
}

describe('MAX_UPLOAD_BYTES', () => {
  it('answers 413 while the body is still streaming, and keeps no file and no temp file', async () => {
    const { req, response } = openPut('/big/stream.bin')
    let answered: IncomingMessage | undefined
    void response.then((res) => (answered = res), () => undefined)
    // No Content-Length: the limit must be found by counting, not by trusting a header.
    const sent = await writeUntil(req, Buffer.alloc(64 * 1024, 1), () => answered !== undefined, 64 * MIB)
    const res = await response
    expect(req.writableEnded).toBe(false)
    expect(res.statusCode).toBe(413)
    expect(res.headers.connection).toBe('close')
    const problem = JSON.parse(await readBody(res)) as { type: string; detail: string }
    expect(problem.type).toBe('https://crossport.dev/problems/body-too-large')
    expect(problem.detail).toContain(String(LIMIT_BYTES))
    // The answer came soon after the limit, long before the 64 MiB the client was willing to send.
    expect(sent).toBeLessThan(32 * MIB)
    req.destroy()
    expect(existsSync(join(cp.assetsDir, 'big/stream.bin'))).toBe(false)
    expect(tempFiles()).toEqual([])
  })

  it('answers 413 at once when Content-Length already says too much', async () => {
    const { req, response } = openPut('/big/declared.bin', { 'content-length': LIMIT_BYTES + 1 })
    req.write(Buffer.alloc(1024))
    const res = await response
    expect(res.statusCode).toBe(413)
    req.destroy()
    expect(tempFiles()).toEqual([])
  })

  it('accepts a body of exactly the limit', async () => {
    const res = await fetch(`${cp.adminUrl}/admin/v1/assets/big/exact.bin`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${cp.token}` },
      body: Buffer.alloc(LIMIT_BYTES, 7),
    })
    expect(res.status).toBe(201)
    expect(statSync(join(cp.assetsDir, 'big/exact.bin')).size).toBe(LIMIT_BYTES)
  })
})

describe('an upload cut off mid-body', () => {
  it('leaves no file and no temp debris when the client destroys the socket', async () => {
    const { req, response } = openPut('/cut/partial.bin', { 'content-length': LIMIT_BYTES })
    response.catch(() => undefined)
    req.write(Buffer.alloc(256 * 1024, 2))
    // The server has opened its temp file and is writing into it: now cut the connection.
    await waitFor(() => tempFiles().some((name) => statSync(join(tempDir(), name)).size > 0), 'the temp file to receive bytes')
    req.destroy()
    await waitFor(() => tempFiles().length === 0, 'the temp file to be removed')
    expect(existsSync(join(cp.assetsDir, 'cut/partial.bin'))).toBe(false)
  })

  it('keeps the previous version intact when a replacement is cut off', async () => {
    const old = Buffer.alloc(100 * 1024, 'o')
    expect((await fetch(`${cp.adminUrl}/admin/v1/assets/cut/keep.bin`, { method: 'PUT', headers: { authorization: `Bearer ${cp.token}` }, body: old })).status).toBe(201)
    const { req, response } = openPut('/cut/keep.bin', { 'content-length': LIMIT_BYTES })
    response.catch(() => undefined)
    req.write(Buffer.alloc(256 * 1024, 'n'))
    await waitFor(() => tempFiles().length > 0, 'the replacement temp file')
    req.destroy()
    await waitFor(() => tempFiles().length === 0, 'the temp file to be removed')
    expect(readFileSync(join(cp.assetsDir, 'cut/keep.bin')).equals(old)).toBe(true)
  })
})

describe('atomic replace', () => {
  it('readers see the complete old bytes until the upload completes, then the complete new ones', async () => {
    const old = Buffer.alloc(512 * 1024, 'a')
    const next = Buffer.alloc(512 * 1024, 'b')
    await fetch(`${cp.adminUrl}/admin/v1/assets/atomic/file.bin`, { method: 'PUT', headers: { authorization: `Bearer ${cp.token}` }, body: old })
    const { req, response } = openPut('/atomic/file.bin', { 'content-length': next.length })
    req.write(next.subarray(0, next.length / 2))
    await waitFor(() => tempFiles().some((name) => statSync(join(tempDir(), name)).size > 0), 'the temp file to receive bytes')
    expect(readFileSync(join(cp.assetsDir, 'atomic/file.bin')).equals(old)).toBe(true)
    req.end(next.subarray(next.length / 2))
    const res = await response
    expect(res.statusCode).toBe(200)
    await readBody(res)
    expect(readFileSync(join(cp.assetsDir, 'atomic/file.bin')).equals(next)).toBe(true)
  })
})

describe('memory while uploading 200 MB', () => {
  // The server runs in its own process (the built dist/, as in production), so
  // its RSS is measured without the test's client buffers and jest's heap.
  const SERVER_SCRIPT = `
    const { mkdirSync } = require('node:fs')
    const { join } = require('node:path')
    const dist = process.argv[1]
    const dir = process.argv[2]
    const { loadConfig } = require(join(dist, 'config', 'config.js'))
    const { createLogger } = require(join(dist, 'ops', 'log.js'))
    const { prepareDatabase, startCrossport } = require(join(dist, 'server', 'app.js'))
    mkdirSync(join(dir, 'assets'), { recursive: true })
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', ADMIN_PORT: '0', ADMIN_HOST: '127.0.0.1', ASSETS_DIR: join(dir, 'assets'),
      DATABASE_PATH: join(dir, 'crossport.db'), CACHE_DIR: join(dir, 'cache'), ADMIN_TOKEN: process.env.TOKEN, LOG_LEVEL: 'silent', SEED_DEMO: 'false' })
    const logger = createLogger(config)
    prepareDatabase(config, logger).then(({ database }) => startCrossport(config, logger, { database })).then((running) => {
      let baseline = process.memoryUsage().rss
      let peak = baseline
      setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 10).unref()
      process.on('message', (message) => {
        if (message === 'reset') { baseline = process.memoryUsage().rss; peak = baseline; process.send({ reset: true }) }
        if (message === 'report') process.send({ baseline, peak: Math.max(peak, process.memoryUsage().rss) })
        if (message === 'stop') running.close().then(() => process.exit(0))
      })
      process.send({ adminUrl: running.adminUrl })
    })
  `
  const token = 'memory-test-token-0123456789'
  let child: ChildProcess
  let dir: string
  let adminUrl: string

  const ask = <T>(message: string): Promise<T> =>
    new Promise((resolve) => {
      child.once('message', (answer) => resolve(answer as T))
      child.send(message)
    })

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'crossport-memory-'))
    child = spawn(process.execPath, ['-e', SERVER_SCRIPT, join(__dirname, '..', '..', 'dist'), dir], {
      env: { PATH: process.env.PATH ?? '', TOKEN: token },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    adminUrl = (await new Promise<{ adminUrl: string }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { adminUrl: string }))
      child.once('exit', (code) => reject(new Error(`server process exited with ${code}`)))
    })).adminUrl
  })

  afterAll(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.send('stop')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it('keeps the server process RSS growth under 50 MB: the body is streamed to disk, never buffered', async () => {
    const totalBytes = 200 * MIB
    const chunk = Buffer.alloc(64 * 1024, 0x5a)
    await ask('reset')
    const { hostname, port } = new URL(adminUrl)
    const req = request({
      hostname,
      port,
      method: 'PUT',
      path: '/admin/v1/assets/video/huge.bin',
      headers: { authorization: `Bearer ${token}`, 'content-length': totalBytes },
    })
    const response = new Promise<IncomingMessage>((resolve, reject) => req.on('response', resolve).on('error', reject))
    const sent = await writeUntil(req, chunk, () => false, totalBytes)
    req.end()
    const res = await response
    await readBody(res)
    expect(sent).toBe(totalBytes)
    expect(res.statusCode).toBe(201)
    const { baseline, peak } = await ask<{ baseline: number; peak: number }>('report')
    const growthMb = (peak - baseline) / MIB
    process.stderr.write(`assets-streaming: server RSS growth while uploading 200 MB: ${growthMb.toFixed(1)} MB\n`)
    expect(statSync(join(dir, 'assets', 'video', 'huge.bin')).size).toBe(totalBytes)
    expect(growthMb).toBeLessThan(50)
  }, 120_000)
})
