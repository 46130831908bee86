import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'

const ROOT = resolve(__dirname, '..', '..')

/** Runs one of the operations scripts and resolves its exit code and output; they bound their own time. */
function runScript(name: string, args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [join(ROOT, 'scripts', name), ...args], { cwd: ROOT, timeout: timeoutMs }, (error, stdout, stderr) => {
      if (stderr.trim() !== '') process.stderr.write(stderr)
      done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout: stdout.trim() })
    })
  })
}

// CI's versions of the load and fault checks (docs/deploy.md §7): each script
// starts its own server from dist/ on loopback and prints one result line.
describe('operations scripts (short versions)', () => {
  const soakSeconds = Number(process.env.SOAK_DURATION_S ?? 30)

  it(
    'soak: steady load keeps RSS and open file descriptors flat, with no errors',
    async () => {
      const result = await runScript('soak.js', ['--duration', String(soakSeconds)], (soakSeconds + 40) * 1000)
      expect(result.stdout).toMatch(/^soak: PASS /)
      expect(result.code).toBe(0)
    },
    (soakSeconds + 45) * 1000,
  )

  it(
    'slow-client: trickling headers cannot starve normal requests and are cut off by the headers timeout',
    async () => {
      const result = await runScript('slow-client.js', ['--sockets', '100', '--headers-timeout-ms', '1500', '--deadline-s', '40'], 60_000)
      expect(result.stdout).toMatch(/^slow-client: PASS /)
      expect(result.code).toBe(0)
    },
    65_000,
  )

  it(
    'db-lock-check: public and admin reads stay fast, and admin writes retry then answer 503, while another connection holds the write lock',
    async () => {
      // Latency bounds with room for a loaded CI machine; a synchronous wait on the lock
      // stalls every request until the 2 s lock goes (the old busy_timeout: up to 5 s).
      const args = ['--hold-s', '2', '--retry-ms', '1000', '--p99-latency-ms', '1000', '--max-latency-ms', '1500']
      const result = await runScript('db-lock-check.js', args, 40_000)
      expect(result.stdout).toMatch(/^db-lock-check: PASS /)
      expect(result.code).toBe(0)
    },
    45_000,
  )
})
