import { InvalidArgumentError, Option, type Command } from 'commander'
import { problemType } from '../http/errors'
import type { EnforcementMode, Folder, FolderPage, SignedUrlsMode } from '../admin/schemas/api-types'
import type { CreateFolderInput, PolicyPatchInput } from '../admin/schemas/requests'
import { ApiError, CliError, type ApiClient } from './api-client'
import type { CommandKit } from './kit'
import { printJson, printLine, printTable, type CliIo } from './output'

/** The policy options `folders add` and `folders set` share, as commander parses them. */
export interface PolicyOptions {
  mode?: EnforcementMode
  methods?: string
  credentials?: boolean
  privateNetwork?: boolean
  maxAge?: number
  cacheControl?: string
  /** false: `--no-cdn-cache-control`, stop sending it. */
  cdnCacheControl?: string | false
  allowHeaders?: string
  exposeHeaders?: string
  signedUrls?: SignedUrlsMode
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
    .option('--cdn-cache-control <value>', 'Cache-Control for the CDN alone (CDN-Cache-Control; Surrogate-Control too for Varnish/Fastly)')
    .option('--no-cdn-cache-control', 'send no CDN-only Cache-Control: the CDN follows Cache-Control')
    .option('--allow-headers <headers>', 'comma-separated request headers a preflight may ask for ("" for none)')
    .option('--expose-headers <headers>', 'comma-separated response headers scripts may read ("" for none)')
    .addOption(new Option('--signed-urls <mode>', 'which requests need a signed URL').choices(['off', 'derivatives', 'required']))
}

/** The policy fields the options name, in the API's shape; nothing for an option not given. */
export function policyFromOptions(options: PolicyOptions): PolicyPatchInput {
  const policy: PolicyPatchInput = {}
  if (options.mode !== undefined) policy.mode = options.mode
  if (options.methods !== undefined) policy.methods = splitList(options.methods, true)
  if (options.credentials !== undefined) policy.credentials = options.credentials
  if (options.privateNetwork !== undefined) policy.privateNetwork = options.privateNetwork
  if (options.maxAge !== undefined) policy.maxAge = options.maxAge
  if (options.cacheControl !== undefined) policy.cacheControl = options.cacheControl
  if (options.cdnCacheControl !== undefined) policy.cdnCacheControl = options.cdnCacheControl === false ? null : options.cdnCacheControl
  if (options.allowHeaders !== undefined) policy.allowHeaders = splitList(options.allowHeaders)
  if (options.exposeHeaders !== undefined) policy.exposeHeaders = splitList(options.exposeHeaders)
  if (options.signedUrls !== undefined) policy.signedUrls = options.signedUrls
  return policy
}

/** The folder with exactly this path (after `folderPath`), or a CliError naming it. */
export async function findFolder(client: ApiClient, path: string): Promise<Folder> {
  const normalised = folderPath(path)
  const { items } = await client.json<FolderPage>('GET', '/folders', { query: { path: normalised } })
  const folder = items[0]
  if (folder === undefined) throw new CliError(`no folder ${normalised} (crossport folders list shows them)`)
  return folder
}

/** `folders list|add|remove|set` under the `folders` group: folders and their CORS policies. */
export function registerFolderCommands(folders: Command, kit: CommandKit): void {
  const { io } = kit
  folders
    .command('list')
    .description('list folders with their policies')
    .action(async (_options: unknown, command: Command) => {
      // The server answers a page at a time: follow nextCursor to the end.
      const items: Folder[] = []
      let cursor: string | null = null
      do {
        const query: Record<string, string> = cursor === null ? { limit: '1000' } : { limit: '1000', cursor }
        const page: FolderPage = await kit.api(command).json('GET', '/folders', { query })
        items.push(...page.items)
        cursor = page.nextCursor ?? null
      } while (cursor !== null)
      if (kit.wantsJson(command)) return printJson(io, items)
      printTable(
        io,
        ['id', 'path', 'mode', 'credentials', 'origins', 'cache-control'],
        items.map((f) => [f.id, f.path, f.policy.mode, f.policy.credentials ? 'yes' : 'no', f.policy.origins.join(' '), f.policy.cacheControl]),
      )
    })
  const addFolder = folders
    .command('add <path>')
    .description('create a folder with a policy, e.g. folders add /brand/ --origin https://shop.example')
    .option('--origin <origin...>', 'allowed origin (repeatable): https://a.example, https://*.a.example or *', collect, [])
  addPolicyOptions(addFolder).action(async (path: string, options: AddFolderOptions, command: Command) => {
    const body: CreateFolderInput = { path: folderPath(path), policy: { origins: options.origin, ...policyFromOptions(options) } }
    const folder = await kit.api(command).json<Folder>('POST', '/folders', { json: body })
    if (kit.wantsJson(command)) return printJson(io, folder)
    printLine(io, `created folder ${folder.path} (id ${folder.id}), origins: ${folder.policy.origins.join(' ') || '(none)'}`)
  })
  folders
    .command('remove <path>')
    .description('delete a folder and its policy (not /)')
    .action(async (path: string, _options: unknown, command: Command) => {
      const client = kit.api(command)
      const folder = await findFolder(client, path)
      await client.request('DELETE', `/folders/${folder.id}`).catch((error: unknown) => {
        // The API's own advice (PUT or PATCH) is not what a CLI user types.
        if (error instanceof ApiError && error.type === problemType('ROOT_FOLDER_PROTECTED')) {
          throw new CliError(`the root folder / always exists and cannot be removed; change its policy instead: crossport folders set / --mode … (or origins allow|revoke / <origin>)`)
        }
        throw error
      })
      if (kit.wantsJson(command)) return printJson(io, { removed: folder.path, id: folder.id })
      printLine(io, `removed folder ${folder.path}`)
    })
  registerFolderSet(folders, kit)
}

interface AddFolderOptions extends PolicyOptions {
  origin: string[]
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** `folders set <path> --mode strict …`: changes some policy fields of an existing folder (PATCH). */
function registerFolderSet(folders: Command, kit: CommandKit): void {
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
  printLine(io, `  cdn-cache-ctrl:  ${policy.cdnCacheControl ?? '(none)'}`)
  printLine(io, `  allow headers:   ${list(policy.allowHeaders)}`)
  printLine(io, `  expose headers:  ${list(policy.exposeHeaders)}`)
}
