import { InvalidArgumentError, Option, type Command } from 'commander'
import { CliError, type ApiClient } from './api-client'
import { printJson, printLine, type CliIo } from './output'

/** One folder as the admin API answers it. */
export interface Folder {
  id: number
  path: string
  policy: {
    origins: string[]
    methods: string[]
    allowHeaders: string[]
    exposeHeaders: string[]
    mode: string
    credentials: boolean
    privateNetwork: boolean
    maxAge: number
    cacheControl: string
    signedUrls?: string
  }
  createdAt: string
  updatedAt: string
}

/** What the folder commands need from the program: the API, the output, and whether `--json` was asked for. */
export interface CommandKit {
  readonly io: CliIo
  api(command: Command): ApiClient
  wantsJson(command: Command): boolean
}

/** The policy options `folders add` and `folders set` share, as commander parses them. */
export interface PolicyOptions {
  mode?: string
  methods?: string
  credentials?: boolean
  privateNetwork?: boolean
  maxAge?: number
  cacheControl?: string
  allowHeaders?: string
  exposeHeaders?: string
  signedUrls?: string
}

/** `brand` → `/brand/`: folder paths start and end with a slash. */
export function folderPath(path: string): string {
  let normalised = path.trim()
  if (!normalised.startsWith('/')) normalised = '/' + normalised
  if (!normalised.endsWith('/')) normalised += '/'
  return normalised
}

export function parseWholeNumber(value: string): number {
  if (!/^[0-9]{1,9}$/.test(value)) throw new InvalidArgumentError('must be a whole number')
  return Number(value)
}

/** `GET, head` → `['GET', 'HEAD']`; an empty value is an empty list (to clear a header list). */
const splitList = (value: string, upperCase = false): string[] =>
  value
    .split(',')
    .map((item) => (upperCase ? item.trim().toUpperCase() : item.trim()))
    .filter((item) => item !== '')

/** Adds the policy options (all but origins) to a command. */
export function addPolicyOptions(command: Command): Command {
  return command
    .addOption(new Option('--mode <mode>', 'cors (browser-enforced) or strict (also refuse hotlinks)').choices(['cors', 'strict']))
    .option('--methods <methods>', 'comma-separated allowed methods (default GET,HEAD)')
    .option('--credentials', 'allow credentialed requests')
    .option('--no-credentials', 'refuse credentialed requests')
    .option('--private-network', 'answer Private Network Access preflights')
    .option('--no-private-network', 'do not answer Private Network Access preflights')
    .option('--max-age <seconds>', 'preflight max-age', parseWholeNumber)
    .option('--cache-control <value>', 'Cache-Control for the folder assets')
    .option('--allow-headers <headers>', 'comma-separated request headers a preflight may ask for ("" for none)')
    .option('--expose-headers <headers>', 'comma-separated response headers scripts may read ("" for none)')
    .addOption(new Option('--signed-urls <mode>', 'which requests need a signed URL').choices(['off', 'derivatives', 'required']))
}

/** The policy fields the options name, in the API's shape; nothing for an option not given. */
export function policyFromOptions(options: PolicyOptions): Record<string, unknown> {
  const policy: Record<string, unknown> = {}
  if (options.mode !== undefined) policy.mode = options.mode
  if (options.methods !== undefined) policy.methods = splitList(options.methods, true)
  if (options.credentials !== undefined) policy.credentials = options.credentials
  if (options.privateNetwork !== undefined) policy.privateNetwork = options.privateNetwork
  if (options.maxAge !== undefined) policy.maxAge = options.maxAge
  if (options.cacheControl !== undefined) policy.cacheControl = options.cacheControl
  if (options.allowHeaders !== undefined) policy.allowHeaders = splitList(options.allowHeaders)
  if (options.exposeHeaders !== undefined) policy.exposeHeaders = splitList(options.exposeHeaders)
  if (options.signedUrls !== undefined) policy.signedUrls = options.signedUrls
  return policy
}

/** The folder with exactly this path (after `folderPath`), or a CliError naming it. */
export async function findFolder(client: ApiClient, path: string): Promise<Folder> {
  const normalised = folderPath(path)
  const { items } = await client.json<{ items: Folder[] }>('GET', '/folders', { query: { path: normalised } })
  const folder = items[0]
  if (folder === undefined) throw new CliError(`no folder ${normalised} (crossport folders list shows them)`)
  return folder
}

/** `folders set <path> --mode strict …`: changes some policy fields of an existing folder (PATCH). */
export function registerFolderSet(folders: Command, kit: CommandKit): void {
  const set = folders
    .command('set <path>')
    .description('change some policy fields of a folder (/ included), e.g. folders set /brand/ --mode strict --max-age 3600')
  addPolicyOptions(set).action(async (path: string, options: PolicyOptions, command: Command) => {
    const patch = policyFromOptions(options)
    if (Object.keys(patch).length === 0) {
      throw new CliError('folders set: name at least one field to change (--mode, --methods, --credentials, --max-age, --cache-control, …; see --help)', 2)
    }
    const client = kit.api(command)
    const folder = await findFolder(client, path)
    const updated = await client.json<Folder>('PATCH', `/folders/${folder.id}`, { json: patch })
    if (kit.wantsJson(command)) return printJson(kit.io, updated)
    printLine(kit.io, `updated folder ${updated.path} (id ${updated.id}): ${Object.keys(patch).join(', ')}`)
    printPolicy(kit.io, updated.policy)
  })
}

function printPolicy(io: CliIo, policy: Folder['policy']): void {
  const list = (items: readonly string[]) => (items.length === 0 ? '(none)' : items.join(', '))
  printLine(io, `  origins:         ${list(policy.origins)}`)
  printLine(io, `  mode:            ${policy.mode}`)
  printLine(io, `  methods:         ${list(policy.methods)}`)
  printLine(io, `  credentials:     ${policy.credentials ? 'yes' : 'no'}`)
  printLine(io, `  private network: ${policy.privateNetwork ? 'yes' : 'no'}`)
  printLine(io, `  max-age:         ${policy.maxAge}`)
  printLine(io, `  cache-control:   ${policy.cacheControl}`)
  printLine(io, `  allow headers:   ${list(policy.allowHeaders)}`)
  printLine(io, `  expose headers:  ${list(policy.exposeHeaders)}`)
}
