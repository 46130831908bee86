import { Option, type Command } from 'commander'
import type { Explanation } from '../admin/schemas/api-types'
import type { CommandKit } from './kit'
import { printJson, printLine } from './output'

interface ExplainOptions {
  origin?: string
  method: string
  headers?: string
  preflight?: boolean
  privateNetwork?: boolean
  referer?: string
  secFetchSite?: string
}

/** `explain <url>`: one call of GET /explain, printed as the decision and its reasons. */
export function registerExplainCommand(program: Command, kit: CommandKit): void {
  const { io } = kit
  program
    .command('explain <url>')
    .description('which folder applies to a URL and which headers a request from --origin would get, and why')
    .option('--origin <origin>', 'the Origin the browser would send')
    .option('--method <method>', 'request method', 'GET')
    .option('--headers <names>', 'comma-separated request headers the script sets (Access-Control-Request-Headers of the preflight)')
    .option('--preflight', 'explain the preflight (default: when the method or headers need one)')
    .option('--no-preflight', 'explain the actual request, not its preflight')
    .option('--private-network', 'the preflight asks for private network access')
    .option('--referer <url>', 'the Referer the request would carry (strict mode checks it)')
    .addOption(new Option('--sec-fetch-site <value>', 'the Sec-Fetch-Site the browser would send (strict mode checks it)').choices(['same-origin', 'same-site', 'cross-site', 'none']))
    .action(async (url: string, options: ExplainOptions, command: Command) => {
      const explanation = await kit.api(command).json<Explanation>('GET', '/explain', { query: explainQuery(url, options) })
      if (kit.wantsJson(command)) return printJson(io, explanation)
      printLine(io, `${explanation.method} ${explanation.path} from ${explanation.origin ?? '(no origin)'}${explanation.preflight ? ' (preflight)' : ''}`)
      printLine(io, `folder:  ${explanation.folder.path}`)
      const { cacheControl, cdnCacheControl } = explanation.policy
      // Shown only when set, so a folder without it explains as before.
      if (cdnCacheControl !== null) printLine(io, `caching: Cache-Control: ${cacheControl}; CDN-Cache-Control: ${cdnCacheControl}`)
      printLine(io, `outcome: ${explanation.outcome} (status ${explanation.status})`)
      const headers = Object.entries(explanation.headers)
      printLine(io, headers.length === 0 ? 'headers: (none)' : 'headers:')
      for (const [name, value] of headers) printLine(io, `  ${name}: ${value}`)
      if (explanation.reasons.length > 0) printLine(io, 'why:')
      for (const reason of explanation.reasons) printLine(io, `  - ${reason}`)
      const { signature } = explanation
      if (signature?.required === true) printLine(io, `signature: ${signature.verdict ?? 'unknown'}${signature.expiresAt ? ` (expires ${signature.expiresAt})` : ''}`)
    })
}

/** The query of `GET /explain`: only what was given, so the server's defaults apply to the rest. */
function explainQuery(url: string, options: ExplainOptions): Record<string, string | undefined> {
  return {
    path: url,
    origin: options.origin,
    method: options.method,
    headers: options.headers,
    preflight: options.preflight === undefined ? undefined : String(options.preflight),
    privateNetwork: options.privateNetwork === true ? 'true' : undefined,
    referer: options.referer,
    secFetchSite: options.secFetchSite,
  }
}
