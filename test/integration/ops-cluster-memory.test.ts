import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WORKER_SEMI_SPACE_MIB } from '../../src/server/worker-options'

// The ops scripts' launcher: `node dist/main.js` in a temp folder on fixed loopback ports.
const { spawnCrossport } = require('../../scripts/lib/spawn-crossport.js') as {
  spawnCrossport(options: {
    assets?: Record<string, string>
    env?: Record<string, string>
    onLine?: (line: string) => void
    startTimeoutMs?: number
  }): Promise<{ publicUrl: string; stop(): Promise<number | null> }>
}

const PRELOAD = join(__dirname, '..', 'fixtures', 'preload', 'report-modules.js')

interface Report {
  readonly role: 'primary' | 'worker'
  readonly loaded: readonly string[]
  readonly execArgv: readonly string[]
}

describe('a WORKERS=2 cluster', () => {
  it('starts workers that load neither Koa nor sharp, with a small young generation; the primary serves the admin side', async () => {
    const reports = mkdtempSync(join(tmpdir(), 'crossport-modules-'))
    let workersUp = 0
    let allUp: () => void = () => undefined
    const listening = new Promise<void>((resolve) => (allUp = resolve))
    try {
      const server = await spawnCrossport({
        assets: { 'site/app.css': 'body{}' },
        env: { WORKERS: '2', LOG_LEVEL: 'info', NODE_OPTIONS: `--require ${PRELOAD}`, REPORT_MODULES_DIR: reports },
        startTimeoutMs: 60_000,
        onLine: (line) => {
          if (line.includes('"worker listening"') && ++workersUp === 2) allUp()
        },
      })
      try {
        await listening
        // The public side answers from a worker (its own modules, not the admin ones).
        expect((await fetch(`${server.publicUrl}/site/app.css`)).status).toBe(200)
      } finally {
        await server.stop()
      }
      const all = readdirSync(reports).map((file) => JSON.parse(readFileSync(join(reports, file), 'utf8')) as Report)
      const workers = all.filter((r) => r.role === 'worker')
      const primary = all.filter((r) => r.role === 'primary')
      expect(workers).toHaveLength(2)
      expect(primary).toHaveLength(1)
      for (const worker of workers) {
        expect(worker.loaded).toEqual([])
        expect(worker.execArgv).toContain(`--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`)
      }
      expect(primary[0]?.loaded).toContain('koa')
      expect(primary[0]?.execArgv.join(' ')).not.toContain('semi-space')
    } finally {
      rmSync(reports, { recursive: true, force: true })
    }
    // Three Node processes start and stop: on a loaded machine that alone can take half a minute.
  }, 90_000)
})
