import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

// The ops scripts' launcher: `node dist/main.js` in a temp folder on fixed loopback ports.
const { spawnCrossport } = require('../../scripts/lib/spawn-crossport.js') as {
  spawnCrossport(options: {
    assets?: Record<string, string | Buffer>
    env?: Record<string, string>
    onLine?: (line: string) => void
  }): Promise<{ publicUrl: string; pid: number; admin(method: string, path: string, body?: unknown): Promise<Response>; stop(): Promise<number | null> }>
}

/** How long a client may wait for its connection to be served or closed once the worker is gone. */
const CLOSE_BOUND_MS = 5_000
const ORIGIN = 'https://app.example'

type LogLine = Record<string, unknown> & { msg?: string; pid?: number }

/** A spawned WORKERS=2 cluster whose JSON log lines can be awaited. */
async function startCluster(assets: Record<string, string | Buffer>) {
  const lines: LogLine[] = []
  const waiters: (() => void)[] = []
  const onLine = (text: string) => {
    try {
      lines.push(JSON.parse(text) as LogLine)
    } catch {
      return
    }
    for (const wake of waiters.splice(0)) wake()
  }
  /** Resolves once `count` lines match, with those lines. */
  const logged = async (matches: (line: LogLine) => boolean, count = 1): Promise<LogLine[]> => {
    for (;;) {
      const found = lines.filter(matches)
      if (found.length >= count) return found
      await new Promise<void>((wake) => waiters.push(wake))
    }
  }
  const server = await spawnCrossport({
    assets,
    // Long keep-alive: an idle connection that closes does so because its worker died.
    env: { WORKERS: '2', LOG_LEVEL: 'info', KEEP_ALIVE_TIMEOUT_MS: '120000' },
    onLine,
  })
  const workerPids = async (count: number) => (await logged((l) => l.msg === 'worker listening', count)).map((l) => Number(l.pid))
  return { ...server, logged, workerPids }
}

interface Probe {
  readonly socket: Socket
  /** Resolves once any response byte has arrived. */
  readonly firstByte: Promise<void>
  /** Resolves when the connection is gone (ended, reset or errored), with what was received. */
  readonly closed: Promise<{ bytes: number; head: string }>
}

/** A raw HTTP/1.1 connection sending one GET: no client-side timeouts or retries hide a hang. */
function probe(publicUrl: string, path: string, headers: Record<string, string> = {}): Probe {
  const { hostname, port } = new URL(publicUrl)
  const socket = connect(Number(port), hostname)
  let bytes = 0
  let head = ''
  const firstByte = new Promise<void>((resolve) => socket.once('data', () => resolve()))
  socket.on('data', (chunk: Buffer) => {
    if (bytes === 0) head = chunk.subarray(0, 512).toString('latin1')
    bytes += chunk.length
  })
  socket.on('error', () => {
    // A reset counts as closed; 'close' follows.
  })
  const closed = new Promise<{ bytes: number; head: string }>((resolve) => socket.once('close', () => resolve({ bytes, head })))
  const lines = Object.entries({ host: 'crossport.test', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`)
  socket.write(`GET ${path} HTTP/1.1\r\n${lines.join('')}\r\n`)
  return { socket, firstByte, closed }
}

/** Fails unless `promise` settles within `ms`: the test's bound on a hang. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

describe('a cluster worker killed with SIGKILL', () => {
  it('leaves no client waiting on a connection the primary had handed it, and its replacement serves the current policies', async () => {
    const server = await startCluster({ 'fonts/a.woff2': 'font bytes' })
    const stopped: number[] = []
    const probes: Probe[] = []
    try {
      const [victim, survivor] = await server.workerPids(2)
      if (victim === undefined || survivor === undefined) throw new Error('two workers expected')
      // A policy made after start-up: a replacement worker must see it, not just what existed at boot.
      const created = await server.admin('POST', '/folders', { path: '/fonts/', policy: { origins: [ORIGIN] } })
      expect(created.status).toBe(201)

      // A worker whose event loop is stuck (as before a watchdog or the OOM killer ends it):
      // the primary still hands it connections, one at a time, and keeps its own copy until it takes them.
      process.kill(victim, 'SIGSTOP')
      stopped.push(victim)
      for (let i = 0; i < 4; i++) probes.push(probe(server.publicUrl, '/healthz', { connection: 'close' }))
      // Round robin: the stuck worker got exactly one of them, the other worker serves the rest.
      const settled = new Set<Probe>()
      for (const p of probes) void p.closed.then(() => settled.add(p))
      await within(
        (async () => {
          while (settled.size < probes.length - 1) await Promise.race(probes.filter((p) => !settled.has(p)).map((p) => p.closed))
        })(),
        CLOSE_BOUND_MS,
        'connections the live worker should serve',
      )
      for (const p of settled) expect((await p.closed).head).toMatch(/^HTTP\/1\.1 200 /)
      const [stuck] = probes.filter((p) => !settled.has(p))
      if (!stuck) throw new Error('expected one connection handed to the stopped worker')

      process.kill(victim, 'SIGKILL')
      stopped.length = 0
      // Nothing was served on it; what matters is that the client is told, not left waiting.
      const outcome = await within(stuck.closed, CLOSE_BOUND_MS, 'connection handed to the killed worker')
      expect(outcome.bytes === 0 || outcome.head.startsWith('HTTP/1.1 ')).toBe(true)
      await server.logged((l) => l.msg === 'closed connections a dead worker had not taken' && l.count === 1)

      // The primary starts a replacement, which answers with the policy made above.
      await server.logged((l) => l.msg === 'worker died; starting a new one' && l.worker === victim)
      const pids = await server.workerPids(3)
      const replacement = pids[2]
      expect(replacement).not.toBe(victim)
      let servedByReplacement = false
      for (let i = 0; i < 20 && !servedByReplacement; i++) {
        const res = await fetch(`${server.publicUrl}/fonts/a.woff2`, { headers: { origin: ORIGIN, connection: 'close' } })
        expect(res.status).toBe(200)
        expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN)
        await res.arrayBuffer()
        const requests = await server.logged((l) => l.msg === 'request' && l.path === '/fonts/a.woff2', i + 1)
        servedByReplacement = requests.some((l) => l.pid === replacement)
      }
      expect(servedByReplacement).toBe(true)
    } finally {
      for (const pid of stopped) process.kill(pid, 'SIGCONT')
      for (const p of probes) p.socket.destroy()
      await server.stop()
    }
  })

  it('ends an in-flight download and an idle keep-alive connection at once, then serves again', async () => {
    const size = 32 * 1024 * 1024
    const server = await startCluster({ 'video/large.bin': randomBytes(size) })
    try {
      const pids = await server.workerPids(2)
      const download = probe(server.publicUrl, '/video/large.bin')
      await download.firstByte
      // Paused: most of the file is still unsent when the worker dies.
      download.socket.pause()
      const idle = probe(server.publicUrl, '/healthz')
      await idle.firstByte

      for (const pid of pids) process.kill(pid, 'SIGKILL')
      download.socket.resume()
      const ended = await within(download.closed, CLOSE_BOUND_MS, 'in-flight download')
      expect(ended.head).toMatch(/^HTTP\/1\.1 200 /)
      await within(idle.closed, CLOSE_BOUND_MS, 'idle keep-alive connection')

      // Both replaced; the port answers again.
      await server.workerPids(4)
      const res = await fetch(`${server.publicUrl}/healthz`)
      expect(res.status).toBe(200)
      await res.arrayBuffer()
    } finally {
      await server.stop()
    }
  })
})
