import { Command, CommanderError } from 'commander'
import { config as loadDotenv } from 'dotenv'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ApiClient, CliError, DEFAULT_ADMIN_URL } from './api-client'
import { registerAssetCommands } from './asset-commands'
import { registerDbCommands } from './db-commands'
import { registerExplainCommand } from './explain-command'
import { registerFolderCommands } from './folder-commands'
import type { CommandKit } from './kit'
import { registerOriginCommands } from './origin-commands'
import type { CliIo } from './output'
import { registerPurgeCommand } from './purge-command'
import { registerSignCommand } from './sign-command'
import { registerTokenCommands } from './token-commands'

/** The environment variables the CLI reads (and nothing else from the environment). */
export interface CliEnv {
  readonly CROSSPORT_URL?: string
  readonly CROSSPORT_TOKEN?: string
  readonly DATABASE_PATH?: string
  readonly DATABASE_URL?: string
}

const DEFAULT_DATABASE_PATH = './data/crossport.db'
const POSTGRES_URL = /^postgres(ql)?:\/\//i
const USAGE_EXIT_CODE = 2

interface GlobalOptions {
  url?: string
  token?: string
  json?: boolean
  database?: string
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

/** The program with its global options; each command group registers itself from its own module. */
function buildProgram(env: CliEnv, io: CliIo): Command {
  const program = new Command('crossport')
    .description('Operate a Crossport server: folders and their CORS policies, tokens, assets, backups.')
    .option('--url <url>', `admin API base URL (env CROSSPORT_URL, default ${DEFAULT_ADMIN_URL})`)
    .option('--token <token>', 'admin bearer token (env CROSSPORT_TOKEN)')
    .option(
      '--database <path>',
      `SQLite file for backup/migrate (env DATABASE_PATH, also read from ./.env; default ${DEFAULT_DATABASE_PATH}), or a postgres:// URL for migrate (env DATABASE_URL); with tokens create, mint the token offline in this file`,
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
  const kit: CommandKit = {
    io,
    api(command) {
      const options = globals(command)
      return new ApiClient({ url: options.url ?? env.CROSSPORT_URL ?? DEFAULT_ADMIN_URL, token: options.token ?? env.CROSSPORT_TOKEN })
    },
    wantsJson: (command) => globals(command).json === true,
    databasePath: (command) => resolve(globals(command).database ?? env.DATABASE_PATH ?? DEFAULT_DATABASE_PATH),
    databaseUrl: (command) => {
      const given = globals(command).database
      if (given !== undefined) return POSTGRES_URL.test(given) ? given : undefined
      return env.DATABASE_URL === '' ? undefined : env.DATABASE_URL
    },
    explicitDatabase: (command) => globals(command).database,
  }

  // In this order in --help.
  registerFolderCommands(program.command('folders').description('folders and their CORS policies'), kit)
  registerOriginCommands(program.command('origins').description('allow or revoke one origin of a folder'), kit)
  registerExplainCommand(program, kit)
  registerTokenCommands(program.command('tokens').description('admin API tokens'), kit)
  registerSignCommand(program, kit)
  registerPurgeCommand(program, kit)
  registerAssetCommands(program.command('assets').description('upload, list and delete assets'), kit)
  registerDbCommands(program, kit)
  return program
}

/** package.json's version: both src/cli/ and dist/cli/ sit two levels below the root. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown }
  return typeof pkg.version === 'string' ? pkg.version : 'unknown'
}

/** Entry point of `bin/crossport.js`. */
export async function main(): Promise<void> {
  // The server reads ./.env (main.ts), so backup/migrate run from the same
  // folder must find the same DATABASE_PATH. Variables already set in the
  // environment win over the file, and flags win over both.
  loadDotenv({ quiet: true })
  const { CROSSPORT_URL, CROSSPORT_TOKEN, DATABASE_PATH, DATABASE_URL } = process.env
  process.exitCode = await runCli(process.argv.slice(2), { CROSSPORT_URL, CROSSPORT_TOKEN, DATABASE_PATH, DATABASE_URL }, process)
}
