import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Debian's varnishd, installed by `scripts/ensure-varnish.sh`. */
export const VARNISHD = '/usr/sbin/varnishd'
/** The VCL the docs give operators; the tests run exactly this file, with the backend port replaced. */
export const VCL_PATH = join(__dirname, '..', '..', 'deploy', 'varnish', 'crossport.vcl')

export interface RunningVarnish {
  readonly url: string
  readonly port: number
  stop(): Promise<void>
}

const { freePort } = require('../../scripts/lib/free-port.js') as { freePort(): Promise<number> }

/** An answer from Varnish itself (a PURGE of no tag): it is up and its VCL is loaded. */
const isAnswering = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'PURGE', path: '/', headers: { 'xkey-purge': 'readiness-probe' } }, (res) => {
      res.resume()
      resolve(res.statusCode === 200)
    })
    req.on('error', () => resolve(false))
    req.end()
  })

/**
 * Starts a private varnishd (never the system service): its own working
 * directory, a free loopback port (or `port`), the project's VCL pointed at
 * `backendPort`, in the foreground so stopping it is killing one process.
 */
export async function startVarnish(backendPort: number, options: { port?: number } = {}): Promise<RunningVarnish> {
  if (!existsSync(VARNISHD)) {
    throw new Error(`${VARNISHD} is missing: run \`bash scripts/ensure-varnish.sh\` as root (Debian: apt-get install varnish varnish-modules).`)
  }
  const dir = mkdtempSync(join(tmpdir(), 'crossport-varnish-'))
  const vcl = join(dir, 'crossport.vcl')
  const source = readFileSync(VCL_PATH, 'utf8')
  const templated = source.replace(/\.port = "\d+";/, `.port = "${backendPort}";`)
  if (templated === source && !source.includes(`.port = "${backendPort}";`)) throw new Error(`${VCL_PATH}: no backend .port line to point at the test origin`)
  writeFileSync(vcl, templated)
  const port = options.port ?? (await freePort())
  // -j none: no privilege separation, so the worker can use the temp folder the test owns.
  // http_gzip_support=off: Accept-Encoding reaches Crossport as sent, so its
  // br/gzip siblings are served and cached per Vary (as docs/deploy.md says).
  const args = ['-n', join(dir, 'instance'), '-F', '-j', 'none', '-a', `127.0.0.1:${port}`, '-f', vcl, '-s', 'malloc,32m', '-T', 'none', '-p', 'http_gzip_support=off']
  const child: ChildProcess = spawn(VARNISHD, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
  const deadline = performance.now() + 20_000
  while (!(await isAnswering(port))) {
    if (child.exitCode !== null || performance.now() > deadline) {
      await stop()
      throw new Error(`varnishd did not start (${args.join(' ')}):\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { url: `http://127.0.0.1:${port}`, port, stop }
}
