import { EventEmitter } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { AppContext } from './app-context'
import type { AppEvents } from '../util/app-events'
import type { Config } from '../config/config'
import type { DatabaseHandle } from '../db/database-handle'
import { openDatabase } from '../db/open-database'
import { PurgeOutboxRepo } from '../db/purge-outbox-repo'
import { ensureBootstrapToken, seedDemoPolicy } from '../db/seed'
import type { SqlDatabase } from '../db/sql'
import { createCdnAdapter, createChangePurges, PurgeOutboxWorker } from '../cdn'
import { createImageService } from '../images'
import type { Logger } from '../ops/log'
import { createDatabaseTelemetry } from '../ops/database-metrics'
import { createPurgeTelemetry } from '../ops/purge-metrics'
import { closeGracefully } from '../ops/shutdown'
import { cacheTagHeader } from '../pipeline/cache-tags'
import { createTelemetry } from '../ops/telemetry'
import type { AssetStore } from '../store/asset-store'
import { FsAssetStore } from '../store/fs/fs-store'
import { openS3Store } from '../store/s3/open'
import { createPublicServer } from './public-app'

/** Which listeners this process runs: cluster workers serve the public side only. */
export type ProcessRole = 'all' | 'public' | 'admin'

export interface RunningCrossport {
  readonly context: AppContext
  readonly publicServer: Server | undefined
  readonly adminServer: Server | undefined
  /** `http://host:port` of each listener that runs here (real port when 0 was asked for). */
  readonly publicUrl: string | undefined
  readonly adminUrl: string | undefined
  /** Stops accepting, lets in-flight responses finish (up to SHUTDOWN_TIMEOUT_MS), closes the database. */
  close(): Promise<void>
}

/**
 * Opens the database, applies migrations, points the bootstrap token at
 * ADMIN_TOKEN when it is set and seeds the demo policy on a new database.
 * Runs once, in the primary process. A token to be generated is not made
 * here but by `issueGeneratedToken`, once the listeners are up.
 */
export async function prepareDatabase(config: Readonly<Config>, logger: Logger): Promise<{ database: DatabaseHandle }> {
  // Nothing is served yet: migrations may wait for another process's lock.
  const database = await openDatabase(config)
  try {
    for (const name of await database.migrate()) logger.info({ migration: name }, 'migration applied')
    if (config.adminToken !== undefined) await ensureBootstrapToken(database.db, config.adminToken)
    if (config.seedDemo && (await seedDemoPolicy(database.db))) logger.info('seeded the demo policy for /demo/')
  } catch (error: unknown) {
    await database.close()
    throw error
  }
  return { database }
}

/**
 * Without ADMIN_TOKEN and without an active write token, generates the
 * bootstrap secret to print once. Call it only after the listeners are up:
 * a start that then fails (a busy port) would have consumed the one showing.
 * @returns the generated secret, or undefined when none was needed.
 */
export async function issueGeneratedToken(config: Readonly<Config>, db: SqlDatabase): Promise<string | undefined> {
  return config.adminToken === undefined ? ensureBootstrapToken(db, undefined) : undefined
}

/** @param store the asset store both listeners share; a file store over ASSETS_DIR that takes no uploads by default. */
export async function createContext(
  config: Readonly<Config>,
  logger: Logger,
  database: DatabaseHandle,
  store: AssetStore = new FsAssetStore(config.assetsDir),
): Promise<AppContext> {
  const { db } = database
  const telemetry = createTelemetry(config, logger)
  const events = new EventEmitter() as AppEvents
  events.setMaxListeners(50)
  const databaseError = database.dialect === 'postgres' ? createDatabaseTelemetry(telemetry.metrics.registry, () => database.health(), logger) : undefined
  const policies = await database.livePolicies({
    pollMs: config.policyPollMs,
    onReload: () => telemetry.policyReloaded(),
    ...(databaseError ? { onError: databaseError } : {}),
  })
  // Another host changed an asset: drop what this process keeps about it (file entry, derivatives);
  // after a lost connection, about every asset.
  database.onAssetChanged((path) => (path === undefined ? events.emit('assets-unknown') : events.emit('asset-changed', path)))
  // A change made by this process is in force before its answer (the routes await it); this
  // listener serves the changes a cluster sibling announces.
  events.on('policy-changed', () => void policies.invalidate())
  const images = createImageService({ config, logger, telemetry, events })
  const cdn = createCdnAdapter(config.cdn)
  const purgeWorker =
    config.cdn.kind === 'none'
      ? undefined
      : new PurgeOutboxWorker({
          db,
          adapter: cdn,
          maxRetryMs: config.cdn.purgeRetryMaxMs,
          telemetry: createPurgeTelemetry(telemetry.metrics.registry, new PurgeOutboxRepo(db), logger),
        })
  const purges = createChangePurges(config.cdn.kind, async (maxWaitMs) => purgeWorker?.settled(maxWaitMs))
  const databaseHealth = database.dialect === 'postgres' ? () => database.health() : undefined
  return { config, logger, db, policies, events, telemetry, images, store, cacheTags: cacheTagHeader(cdn), purges, purgeWorker, ...(databaseHealth ? { databaseHealth } : {}) }
}

export async function startCrossport(
  config: Readonly<Config>,
  logger: Logger,
  options: { role?: ProcessRole; database?: DatabaseHandle } = {},
): Promise<RunningCrossport> {
  const role = options.role ?? 'all'
  const database = options.database ?? (await openDatabase(config))
  await database.startServing()

  // ADMIN_ON_MAIN: whoever serves the public side serves the admin side with it (in a
  // cluster, every worker); no process opens an admin listener.
  const mountAdmin = config.adminOnMain && role !== 'admin'
  const servesAdmin = mountAdmin || (role !== 'public' && !config.adminOnMain)
  // One store for both sides; only a process that takes uploads sweeps their leftovers.
  // A bucket is checked before anything listens: a wrong S3_* setting stops start-up.
  const store =
    config.s3 !== undefined ? await openS3Store(config.s3) : new FsAssetStore(config.assetsDir, servesAdmin ? { sweep: sweepLogging(logger) } : {})
  const context = await createContext(config, logger, database, store)
  // Koa, the admin routes and their schemas load only where the admin side is served: not in a public-only worker.
  const admin = servesAdmin ? await import('./admin-app') : undefined
  const publicServer =
    role === 'admin' ? undefined : createPublicServer(context, mountAdmin && admin ? { admin: admin.createAdminApp(context).callback() } : {})
  const adminServer = role === 'public' || config.adminOnMain || !admin ? undefined : admin.createAdminServer(context)
  const [publicUrl, ownAdminUrl] = await listenAll([
    publicServer && { server: publicServer, port: config.port, host: config.host, variable: 'PORT' },
    adminServer && { server: adminServer, port: config.adminPort, host: config.adminHost, variable: 'ADMIN_PORT' },
  ])
  const adminUrl = mountAdmin ? publicUrl : ownAdminUrl
  // One deliverer per host: the process that is not a cluster worker. Workers
  // that take admin changes (ADMIN_ON_MAIN) only write the outbox; it polls.
  if (role !== 'public') context.purgeWorker?.start()

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      await Promise.all(
        [publicServer, adminServer].filter((s): s is Server => s !== undefined).map((s) => closeGracefully(s, config.shutdownTimeoutMs)),
      )
      // Undelivered purges stay in the outbox for the next start.
      await context.purgeWorker?.stop()
      store.close()
      await context.policies.close()
      await database.close()
    })()
    return closing
  }
  return { context, publicServer, adminServer, publicUrl, adminUrl, close }
}

function sweepLogging(logger: Logger) {
  const log = logger.child({ component: 'assets' })
  return {
    onError: (error: unknown) => log.warn({ err: error }, 'sweeping orphaned upload temp files failed'),
    onSwept: (removed: readonly string[]) => {
      if (removed.length > 0) log.info({ count: removed.length }, 'removed upload temp files no live upload owns')
    },
  }
}

interface ListenTarget {
  readonly server: Server
  readonly port: number
  readonly host: string
  /** The setting that chose the port, named when it cannot be used. */
  readonly variable: 'PORT' | 'ADMIN_PORT'
}

/** Opens every listener, or none: when one fails, those already open are closed again. */
async function listenAll(targets: ReadonlyArray<ListenTarget | undefined>): Promise<Array<string | undefined>> {
  const results = await Promise.allSettled(targets.map((t) => (t ? listen(t) : undefined)))
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failed === undefined) return results.map((r) => (r as PromiseFulfilledResult<string | undefined>).value)
  await Promise.all(targets.map((t) => (t?.server.listening ? new Promise((done) => t.server.close(done)) : undefined)))
  throw failed.reason
}

function listen({ server, port, host, variable }: ListenTarget): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(listenError(error, variable, port, host))
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      const address = server.address() as AddressInfo
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address
      resolve(`http://${shownHost}:${address.port}`)
    })
  })
}

/** A bind failure that says which setting to change. */
function listenError(error: NodeJS.ErrnoException, variable: 'PORT' | 'ADMIN_PORT', port: number, host: string): Error {
  if (error.code === 'EADDRINUSE') {
    return new Error(`${variable}=${port} is already in use on ${host} (another process listens there); stop it or set ${variable} to a free port`, { cause: error })
  }
  if (error.code === 'EACCES') {
    return new Error(`${variable}=${port} on ${host} is not allowed for this user (ports below 1024 need privileges); set ${variable} to a port from 1024 up`, { cause: error })
  }
  return error
}
