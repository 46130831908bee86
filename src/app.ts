import { EventEmitter } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AppContext, AppEvents } from './app-context'
import type { Config } from './config'
import { LivePolicyTable } from './db/live-policy-table'
import { migrate } from './db/migrate'
import { openDb, setLockWait, type Db } from './db/open'
import { ensureBootstrapToken, seedDemoPolicy } from './db/seed'
import { createImageService } from './images'
import type { Logger } from './log'
import { closeGracefully } from './ops/shutdown'
import { createTelemetry } from './ops/telemetry'
import { createAdminApp, createAdminServer } from './server/admin-app'
import { createPublicServer } from './server/public-app'

/** Which listeners this process runs: cluster workers serve the public side only. */
export type ProcessRole = 'all' | 'public' | 'admin'

export interface RunningCrossport {
  readonly context: AppContext
  readonly publicServer: Server | undefined
  readonly adminServer: Server | undefined
  /** `http://host:port` of each listener that runs here (real port when 0 was asked for). */
  readonly publicUrl: string | undefined
  readonly adminUrl: string | undefined
  /** Stops accepting, lets in-flight responses finish (up to SHUTDOWN_TIMEOUT), closes the database. */
  close(): Promise<void>
}

/**
 * Opens the database, applies migrations, makes sure an admin token exists and
 * seeds the demo policy on a new database. Runs once, in the primary process.
 * @returns the generated bootstrap secret when one was created now (to print once).
 */
export function prepareDatabase(config: Readonly<Config>, logger: Logger): { db: Db; generatedToken: string | undefined } {
  // Nothing is served yet: migrations may wait for another process's lock.
  const db = openDb(config.databasePath, { lockWait: 'wait' })
  const applied = migrate(db)
  for (const m of applied) logger.info({ migration: m.name }, 'migration applied')
  const generatedToken = ensureBootstrapToken(db, config.adminToken)
  if (config.seedDemo && seedDemoPolicy(db)) logger.info('seeded the demo policy for /demo/')
  return { db, generatedToken }
}

export function createContext(config: Readonly<Config>, logger: Logger, db: Db): AppContext {
  const telemetry = createTelemetry(config, logger)
  const events = new EventEmitter() as AppEvents
  events.setMaxListeners(50)
  const policies = new LivePolicyTable(db, config.policyPollMs, () => telemetry.policyReloaded())
  events.on('policy-changed', () => policies.invalidate())
  const images = createImageService({ config, logger, telemetry, events })
  return { config, logger, db, policies, events, telemetry, images }
}

export async function startCrossport(
  config: Readonly<Config>,
  logger: Logger,
  options: { role?: ProcessRole; db?: Db } = {},
): Promise<RunningCrossport> {
  const role = options.role ?? 'all'
  const db = options.db ?? openDb(config.databasePath)
  // From here on this process serves: a statement that meets another
  // connection's lock fails at once instead of sleeping on the event loop;
  // admin writes retry on timers (db/retry-busy.ts).
  setLockWait(db, 'fail-fast')
  const context = createContext(config, logger, db)

  // ADMIN_ON_MAIN: whoever serves the public side serves the admin side with it (in a
  // cluster, every worker); no process opens an admin listener.
  const mountAdmin = config.adminOnMain && role !== 'admin'
  const publicServer =
    role === 'admin' ? undefined : createPublicServer(context, mountAdmin ? { admin: createAdminApp(context).callback() } : {})
  const adminServer = role === 'public' || config.adminOnMain ? undefined : createAdminServer(context)
  const [publicUrl, ownAdminUrl] = await Promise.all([
    publicServer ? listen(publicServer, config.port, config.host) : undefined,
    adminServer ? listen(adminServer, config.adminPort, config.adminHost) : undefined,
  ])
  const adminUrl = mountAdmin ? publicUrl : ownAdminUrl

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      await Promise.all(
        [publicServer, adminServer].filter((s): s is Server => s !== undefined).map((s) => closeGracefully(s, config.shutdownTimeoutMs)),
      )
      db.close()
    })()
    return closing
  }
  return { context, publicServer, adminServer, publicUrl, adminUrl, close }
}

function listen(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const address = server.address() as AddressInfo
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
      resolve(`http://${shownHost}:${address.port}`)
    })
  })
}
