import { Command, CommanderError, Option } from 'commander'
import { config as loadDotenv } from 'dotenv'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { problemType } from '../http/errors'
import { ApiClient, ApiError, CliError, DEFAULT_ADMIN_URL, encodeAssetPath } from './api-client'
import { backupDatabase, migrateDatabase } from './db-commands'
import { addPolicyOptions, findFolder, folderPath, parseWholeNumber, policyFromOptions, registerFolderSet, type Folder, type PolicyOptions } from './folder-commands'
import { createTokenOffline } from './offline-tokens'
import { formatBytes, printJson, printLine, printTable, type CliIo } from './output'
import { registerSignCommand } from './sign-command'
import { listAllAssets, uploadFolder, type RemoteAsset } from './upload'

/** The environment variables the CLI reads (and nothing else from the environment). */
export interface CliEnv {
  readonly CROSSPORT_URL?: string
  readonly CROSSPORT_TOKEN?: string
  readonly DATABASE_PATH?: string
}

const DEFAULT_DATABASE_PATH = './data/crossport.db'
const USAGE_EXIT_CODE = 2

interface GlobalOptions {
  url?: string
  token?: string
  json?: boolean
  database?: string
}

interface TokenInfo {
  id: string
  name: string
  scope: string
  createdAt: string
  lastUsedAt: string | null
  revokedAt: string | null
}

interface Explanation {
  path: string
  folder: { id: number; path: string }
  origin: string | null
  method: string
  preflight: boolean
  outcome: string
  status: number
  headers: Record<string, string>
  reasons: string[]
  signature?: { required: boolean; verdict?: string; detail?: string; expiresAt?: string | null }
}

/**
 * Runs one CLI invocation. Never calls `process.exit`: it answers the exit
 * code (0 ok, 1 failure, 2 usage), so it can run inside tests as well.
 */
export async function runCli(argv: readonly string[], env: CliEnv, io: CliIo): Promise<number> {
  const program = buildProgram(env, io)
  try {
    await program.parseAsync(argv as string[], { from: 'user' })
    return 0
  } catch (error: unknown) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message (or the help). It answers 0
      // for --help/--version and 1 for everything else, all of which is about
      // the command line itself (unknown command or option, missing or invalid
      // value, no command given): usage, so scripts can tell it from a failure.
      return error.exitCode === 0 ? 0 : USAGE_EXIT_CODE
    }
    if (error instanceof CliError) {
      io.stderr.write(`crossport: ${error.message}\n`)
      return error.exitCode
    }
    io.stderr.write(`crossport: unexpected error: ${(error as Error).message ?? String(error)}\n`)
    return 1
  }
}

function buildProgram(env: CliEnv, io: CliIo): Command {
  const program = new Command('crossport')
    .description('Operate a Crossport server: folders and their CORS policies, tokens, assets, backups.')
    .option('--url <url>', `admin API base URL (env CROSSPORT_URL, default ${DEFAULT_ADMIN_URL})`)
    .option('--token <token>', 'admin bearer token (env CROSSPORT_TOKEN)')
    .option(
      '--database <path>',
      `SQLite file for backup/migrate (env DATABASE_PATH, also read from ./.env; default ${DEFAULT_DATABASE_PATH}); with tokens create, mint the token offline in this file`,
    )
    .option('--json', 'machine-readable JSON on stdout instead of tables')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError('(run crossport --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`crossport: ${text.replace(/^error: /, '')}`),
    })

  const globals = (command: Command) => command.optsWithGlobals<GlobalOptions>()
  const api = (command: Command) => {
    const options = globals(command)
    return new ApiClient({ url: options.url ?? env.CROSSPORT_URL ?? DEFAULT_ADMIN_URL, token: options.token ?? env.CROSSPORT_TOKEN })
  }
  const databasePath = (command: Command) => resolve(globals(command).database ?? env.DATABASE_PATH ?? DEFAULT_DATABASE_PATH)
  const wantsJson = (command: Command) => globals(command).json === true

  // --- folders
  const folders = program.command('folders').description('folders and their CORS policies')
  folders
    .command('list')
    .description('list folders with their policies')
    .action(async (_options: unknown, command: Command) => {
      // The server answers a page at a time: follow nextCursor to the end.
      const items: Folder[] = []
      let cursor: string | null = null
      do {
        const query: Record<string, string> = cursor === null ? { limit: '1000' } : { limit: '1000', cursor }
        const page: { items: Folder[]; nextCursor?: string | null } = await api(command).json('GET', '/folders', { query })
        items.push(...page.items)
        cursor = page.nextCursor ?? null
      } while (cursor !== null)
      if (wantsJson(command)) return printJson(io, items)
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
    const policy: Record<string, unknown> = { origins: options.origin, ...policyFromOptions(options) }
    const folder = await api(command).json<Folder>('POST', '/folders', { json: { path: folderPath(path), policy } })
    if (wantsJson(command)) return printJson(io, folder)
    printLine(io, `created folder ${folder.path} (id ${folder.id}), origins: ${folder.policy.origins.join(' ') || '(none)'}`)
  })
  folders
    .command('remove <path>')
    .description('delete a folder and its policy (not /)')
    .action(async (path: string, _options: unknown, command: Command) => {
      const client = api(command)
      const folder = await findFolder(client, path)
      await client.request('DELETE', `/folders/${folder.id}`).catch((error: unknown) => {
        // The API's own advice (PUT or PATCH) is not what a CLI user types.
        if (error instanceof ApiError && error.type === problemType('ROOT_FOLDER_PROTECTED')) {
          throw new CliError(`the root folder / always exists and cannot be removed; change its policy instead: crossport folders set / --mode … (or origins allow|revoke / <origin>)`)
        }
        throw error
      })
      if (wantsJson(command)) return printJson(io, { removed: folder.path, id: folder.id })
      printLine(io, `removed folder ${folder.path}`)
    })

  registerFolderSet(folders, { io, api, wantsJson })

  // --- origins
  const origins = program.command('origins').description('allow or revoke one origin of a folder')
  origins
    .command('allow <folder> <origin>')
    .description('allow one origin for a folder, e.g. origins allow /brand/ https://shop.example')
    .action(async (path: string, origin: string, _options: unknown, command: Command) => {
      const client = api(command)
      const folder = await findFolder(client, path)
      const res = await client.request('POST', `/folders/${folder.id}/origins`, { json: { origin } })
      const updated = (await res.json()) as Folder
      if (wantsJson(command)) return printJson(io, updated)
      printLine(io, res.status === 201 ? `allowed ${origin} on ${folder.path}` : `${origin} was already allowed on ${folder.path}`)
    })
  origins
    .command('revoke <folder> <origin>')
    .description('remove one origin from a folder')
    .action(async (path: string, origin: string, _options: unknown, command: Command) => {
      const client = api(command)
      const folder = await findFolder(client, path)
      await client.request('DELETE', `/folders/${folder.id}/origins/${encodeURIComponent(origin)}`)
      if (wantsJson(command)) return printJson(io, { revoked: origin, folder: folder.path })
      printLine(io, `revoked ${origin} on ${folder.path}`)
    })

  // --- explain
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
      const explanation = await api(command).json<Explanation>('GET', '/explain', { query: explainQuery(url, options) })
      if (wantsJson(command)) return printJson(io, explanation)
      printLine(io, `${explanation.method} ${explanation.path} from ${explanation.origin ?? '(no origin)'}${explanation.preflight ? ' (preflight)' : ''}`)
      printLine(io, `folder:  ${explanation.folder.path}`)
      printLine(io, `outcome: ${explanation.outcome} (status ${explanation.status})`)
      const headers = Object.entries(explanation.headers)
      printLine(io, headers.length === 0 ? 'headers: (none)' : 'headers:')
      for (const [name, value] of headers) printLine(io, `  ${name}: ${value}`)
      if (explanation.reasons.length > 0) printLine(io, 'why:')
      for (const reason of explanation.reasons) printLine(io, `  - ${reason}`)
      const { signature } = explanation
      if (signature?.required === true) printLine(io, `signature: ${signature.verdict ?? 'unknown'}${signature.expiresAt ? ` (expires ${signature.expiresAt})` : ''}`)
    })

  // --- tokens
  const tokens = program.command('tokens').description('admin API tokens')
  tokens
    .command('create <name>')
    .description('create a token; its secret is shown once. With --database <file>, offline: straight in the database, no server or token needed (recovery)')
    .addOption(new Option('--scope <scope>', 'read, write, or sign (may only sign URLs)').choices(['read', 'write', 'sign']).makeOptionMandatory())
    .action(async (name: string, options: { scope: string }, command: Command) => {
      // Only an explicit --database means offline: DATABASE_PATH in .env is there for backup/migrate.
      const offlineDatabase = globals(command).database
      const created =
        offlineDatabase === undefined
          ? await api(command).json<{ id: string; name: string; scope: string; token: string }>('POST', '/tokens', { json: { name, scope: options.scope } })
          : createTokenOffline(offlineDatabase, name, options.scope)
      if (wantsJson(command)) return printJson(io, created)
      printLine(io, `created ${created.scope} token "${created.name}" (id ${created.id})${offlineDatabase === undefined ? '' : ` in ${offlineDatabase}`}`)
      printLine(io, `secret (shown only now): ${created.token}`)
    })
  tokens
    .command('list')
    .description('list tokens (never their secrets)')
    .action(async (_options: unknown, command: Command) => {
      const { items } = await api(command).json<{ items: TokenInfo[] }>('GET', '/tokens')
      if (wantsJson(command)) return printJson(io, items)
      printTable(
        io,
        ['id', 'name', 'scope', 'created', 'last used', 'revoked'],
        items.map((t) => [t.id, t.name, t.scope, t.createdAt, t.lastUsedAt, t.revokedAt]),
      )
    })
  tokens
    .command('revoke <id>')
    .description('revoke a token')
    .action(async (id: string, _options: unknown, command: Command) => {
      await api(command).request('DELETE', `/tokens/${encodeURIComponent(id)}`)
      if (wantsJson(command)) return printJson(io, { revoked: id })
      printLine(io, `revoked token ${id}`)
    })

  registerSignCommand(program, { io, api, wantsJson })

  // --- assets
  const assets = program.command('assets').description('upload, list and delete assets')
  assets
    .command('upload <localDir>')
    .description('upload the files of a local folder that changed (same size and not newer locally = unchanged)')
    .option('--to <prefix>', 'where the folder goes in the store', '/')
    .option('--force', 'upload every file, changed or not')
    .option('--dry-run', 'only say what would be uploaded')
    .option('--concurrency <n>', 'uploads at a time', parseWholeNumber, 4)
    .action(async (localDir: string, options: { to: string; force?: boolean; dryRun?: boolean; concurrency: number }, command: Command) => {
      const report = await uploadFolder(api(command), io, resolve(localDir), {
        to: options.to,
        force: options.force === true,
        dryRun: options.dryRun === true,
        concurrency: options.concurrency,
      })
      if (wantsJson(command)) printJson(io, report)
      else {
        for (const path of report.uploaded) printLine(io, `${options.dryRun === true ? 'would upload' : 'uploaded'}  ${path}`)
        for (const { path, error } of report.failed) printLine(io, `FAILED    ${path}: ${error}`)
        for (const { path, reason } of report.skipped) printLine(io, `skipped   ${path} (${reason})`)
        printLine(
          io,
          `${report.uploaded.length} ${options.dryRun === true ? 'to upload' : 'uploaded'} (${formatBytes(report.bytes)}), ${report.unchanged.length} unchanged, ${report.skipped.length} skipped, ${report.failed.length} failed`,
        )
      }
      if (report.failed.length > 0) throw new CliError(`${report.failed.length} file(s) failed to upload; first: ${report.failed[0]?.path}: ${report.failed[0]?.error}`)
    })
  assets
    .command('ls [prefix]')
    .description('list assets under a prefix (default /)')
    .action(async (prefix: string | undefined, _options: unknown, command: Command) => {
      const items: RemoteAsset[] = await listAllAssets(api(command), prefix === undefined ? '/' : prefix.startsWith('/') ? prefix : `/${prefix}`)
      if (wantsJson(command)) return printJson(io, items)
      printTable(
        io,
        ['path', 'size', 'type', 'modified', 'etag'],
        items.map((a) => [a.path, formatBytes(a.size), a.contentType.split(';')[0], a.modifiedAt, a.etag]),
      )
    })
  assets
    .command('rm <path>')
    .description('delete an asset (and its .br/.gz siblings and image derivatives)')
    .action(async (path: string, _options: unknown, command: Command) => {
      const assetPath = path.startsWith('/') ? path : `/${path}`
      await api(command).request('DELETE', `/assets${encodeAssetPath(assetPath)}`)
      if (wantsJson(command)) return printJson(io, { removed: assetPath })
      printLine(io, `removed ${assetPath}`)
    })

  // --- database
  program
    .command('backup <file>')
    .description('consistent online backup of the SQLite database (safe while the server runs)')
    .option('--force', 'overwrite <file> if it exists')
    .action(async (file: string, options: { force?: boolean }, command: Command) => {
      const result = await backupDatabase(databasePath(command), resolve(file), { force: options.force === true })
      if (wantsJson(command)) return printJson(io, result)
      printLine(io, `backed up ${databasePath(command)} to ${result.file}: ${formatBytes(result.sizeBytes)}, ${result.folders} folders, schema version ${result.schemaVersion}`)
    })
  program
    .command('migrate')
    .description('apply pending database migrations')
    .action((_options: unknown, command: Command) => {
      const result = migrateDatabase(databasePath(command))
      if (wantsJson(command)) return printJson(io, result)
      printLine(io, result.applied.length === 0 ? `up to date (schema version ${result.schemaVersion})` : `applied ${result.applied.join(', ')} (schema version ${result.schemaVersion})`)
    })

  return program
}

interface AddFolderOptions extends PolicyOptions {
  origin: string[]
}

interface ExplainOptions {
  origin?: string
  method: string
  headers?: string
  preflight?: boolean
  privateNetwork?: boolean
  referer?: string
  secFetchSite?: string
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

/** package.json's version: both src/cli/ and dist/cli/ sit two levels below the root. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown }
  return typeof pkg.version === 'string' ? pkg.version : 'unknown'
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}


/** Entry point of `bin/crossport.js`. */
export async function main(): Promise<void> {
  // The server reads ./.env (main.ts), so backup/migrate run from the same
  // folder must find the same DATABASE_PATH. Variables already set in the
  // environment win over the file, and flags win over both.
  loadDotenv({ quiet: true })
  const { CROSSPORT_URL, CROSSPORT_TOKEN, DATABASE_PATH } = process.env
  process.exitCode = await runCli(process.argv.slice(2), { CROSSPORT_URL, CROSSPORT_TOKEN, DATABASE_PATH }, process)
}
