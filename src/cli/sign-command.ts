import { InvalidArgumentError, type Command } from 'commander'
import type { SignedUrl } from '../admin/schemas/api-types'
import type { SignRequestInput } from '../admin/schemas/requests'
import type { CommandKit } from './kit'
import { printJson, printLine } from './output'

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** `90`, `90s`, `15m`, `1h`, `7d` → seconds. */
export function parseDuration(value: string): number {
  const match = /^([0-9]{1,9})([smhd]?)$/.exec(value.trim())
  const seconds = match === null ? Number.NaN : Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? Number.NaN)
  if (!Number.isSafeInteger(seconds) || seconds < 1) throw new InvalidArgumentError('must be a duration such as 90s, 15m, 1h or 7d')
  return seconds
}

/** `--query w=640` (repeatable) → { w: '640' }. */
function collectParam(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=')
  if (eq < 1) throw new InvalidArgumentError('must be name=value, e.g. w=640')
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) }
}

/** `crossport sign <path>`: one call of POST /admin/v1/sign; a sign-scoped token is enough. */
export function registerSignCommand(program: Command, deps: CommandKit): void {
  program
    .command('sign <path>')
    .description('mint a signed, expiring URL, e.g. sign /paid/a.jpg --expires 1h --query w=640')
    .option('--expires <duration>', 'lifetime: 90s, 15m, 1h, 7d', parseDuration, 3600)
    .option('--query <name=value>', 'a parameter to sign with the URL (repeatable)', collectParam, {})
    .action(async (path: string, options: { expires: number; query: Record<string, string> }, command: Command) => {
      const body: SignRequestInput = { path, expiresInSeconds: options.expires, query: options.query }
      const signed = await deps.api(command).json<SignedUrl>('POST', '/sign', { json: body })
      if (deps.wantsJson(command)) return printJson(deps.io, signed)
      printLine(deps.io, signed.url)
      printLine(deps.io, `expires ${signed.expiresAt}`)
    })
}
