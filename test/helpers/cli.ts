import { Writable } from 'node:stream'
import { runCli, type CliEnv } from '../../src/cli'
import type { TestCrossport } from './crossport'

export interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs the CLI in process against `cp`'s admin API, with its bootstrap token (or `token`). */
export function runCliAgainst(cp: TestCrossport, args: readonly string[], token = cp.token): Promise<CliRun> {
  return runCliWith(args, { CROSSPORT_URL: cp.adminUrl, CROSSPORT_TOKEN: token })
}

/** Runs the CLI in process with exactly this environment, collecting what it prints. */
export async function runCliWith(args: readonly string[], env: CliEnv): Promise<CliRun> {
  const out: string[] = []
  const err: string[] = []
  const sink = (into: string[]) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        into.push(chunk.toString())
        done()
      },
    })
  const code = await runCli(args, env, { stdout: sink(out), stderr: sink(err) })
  return { code, stdout: out.join(''), stderr: err.join('') }
}
