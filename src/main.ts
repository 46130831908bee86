import cluster, { type Worker } from 'node:cluster'
import { config as loadDotenv } from 'dotenv'
import { issueGeneratedToken, prepareDatabase, startCrossport, type RunningCrossport } from './server/app'
import { ConfigError, loadConfig, type Config } from './config/config'
import type { SqlDatabase } from './db/sql'
import { createLogger, type Logger } from './ops/log'
import { closeUnacceptedConnections } from './server/cluster-handoff'
import { workerExecArgv } from './server/worker-options'

/** Messages the primary relays between processes so every worker sees a change at once. */
type RelayMessage = { type: 'crossport:policy-changed' } | { type: 'crossport:asset-changed'; urlPath: string }

const isRelayMessage = (m: unknown): m is RelayMessage =>
  typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('crossport:')

function readConfig(): Readonly<Config> {
  loadDotenv({ quiet: true })
  try {
    return loadConfig(process.env)
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`crossport: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}

/** The CLI's default admin URL: the export line is only needed for another one. */
const CLI_DEFAULT_ADMIN_URL = 'http://127.0.0.1:8081'

/**
 * Generates the bootstrap token if one is needed and prints it. Called once the
 * listeners are up, so a start that fails (a busy port) never consumes it.
 */
async function announceGeneratedToken(config: Readonly<Config>, db: SqlDatabase, consoleUrl: string | undefined, adminUrl: string | undefined): Promise<void> {
  const secret = await issueGeneratedToken(config, db)
  if (secret === undefined) return
  // Printed once, to the terminal only: the database keeps just its hash.
  const lines = [
    `Admin token (shown once, store it now): ${secret}`,
    'Use it as: Authorization: Bearer <token>',
    ...(consoleUrl === undefined ? [] : [`Console: ${consoleUrl}`]),
    'For the crossport CLI:',
    `  export CROSSPORT_TOKEN=${secret}`,
    ...(adminUrl === undefined || adminUrl === CLI_DEFAULT_ADMIN_URL ? [] : [`  export CROSSPORT_URL=${adminUrl}`]),
  ]
  process.stdout.write(`\n${lines.map((line) => `  ${line}\n`).join('')}\n`)
}

/**
 * Stops on SIGTERM/SIGINT. `rendersRunning` counts image renders in native
 * code: `process.exit` joins libuv's thread pool and so would wait for them
 * (librsvg cannot be interrupted; a hostile SVG takes minutes), so with any
 * running the process ends the way the signal itself ends a process.
 */
function onSignals(logger: Logger, stop: () => Promise<void>, rendersRunning: () => number = () => 0): void {
  let stopping = false
  const exit = (signal: NodeJS.Signals, code: number) => {
    const renders = rendersRunning()
    if (renders === 0) process.exit(code)
    logger.warn({ renders, signal }, 'exiting while image renders still run')
    process.removeAllListeners(signal)
    process.kill(process.pid, signal)
  }
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down: finishing in-flight requests')
    stop().then(
      () => exit(signal, 0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        exit(signal, 1)
      },
    )
  }
  process.on('SIGTERM', handler)
  process.on('SIGINT', handler)
}

/** Where operators find the admin side, for the start-up line. */
const adminLocation = (config: Readonly<Config>, publicUrl: string | undefined, adminUrl: string | undefined) =>
  config.adminOnMain ? `${publicUrl}/admin/` : adminUrl

/** The base URL of the admin API (what CROSSPORT_URL takes), one a browser or the CLI can reach. */
const adminBase = (config: Readonly<Config>, publicUrl: string | undefined, adminUrl: string | undefined) => {
  const base = config.adminOnMain ? publicUrl : adminUrl
  // A wildcard bind address is not somewhere to connect to; the loopback one of its family is.
  return base?.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//[::1]:')
}

const consoleLocation = (base: string | undefined) => (base === undefined ? undefined : `${base}/admin/`)

async function runSingle(config: Readonly<Config>, logger: Logger): Promise<void> {
  const { database } = await prepareDatabase(config, logger)
  const running = await startCrossport(config, logger, { database })
  // Before announcing: whoever reads "listening" may signal at once.
  onSignals(logger, running.close, () => running.context.images?.rendersRunning ?? 0)
  const base = adminBase(config, running.publicUrl, running.adminUrl)
  await announceGeneratedToken(config, database.db, consoleLocation(base), base)
  logger.info(
    { public: running.publicUrl, admin: adminLocation(config, running.publicUrl, running.adminUrl), console: consoleLocation(base), assets: config.assetsDir },
    'crossport listening',
  )
}

async function runPrimary(config: Readonly<Config>, logger: Logger): Promise<void> {
  const { database } = await prepareDatabase(config, logger)
  const running: RunningCrossport = await startCrossport(config, logger, { database, role: 'admin' })
  const broadcast = (message: RelayMessage, except?: Worker) => {
    for (const worker of Object.values(cluster.workers ?? {})) if (worker !== except) worker?.send(message)
  }
  running.context.events.on('policy-changed', () => broadcast({ type: 'crossport:policy-changed' }))
  running.context.events.on('asset-changed', (urlPath) => broadcast({ type: 'crossport:asset-changed', urlPath }))
  // ADMIN_ON_MAIN: the admin API runs in the workers; a change made in one reaches its siblings through here.
  cluster.on('message', (sender, message: unknown) => {
    if (isRelayMessage(message)) broadcast(message, sender)
  })

  // Connections handed to a worker that dies before taking them would otherwise stay open in this process.
  cluster.on('fork', (worker) =>
    closeUnacceptedConnections(worker.process, (count) =>
      logger.warn({ worker: worker.process.pid, count }, 'closed connections a dead worker had not taken'),
    ),
  )
  let stopping = false
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return
    logger.error({ worker: worker.process.pid, code, signal }, 'worker died; starting a new one')
    cluster.fork()
  })
  onSignals(logger, async () => {
    stopping = true
    const exited = Object.values(cluster.workers ?? {}).map(
      (worker) =>
        new Promise<void>((resolve) => {
          if (!worker || worker.isDead()) return resolve()
          worker.once('exit', () => resolve())
          worker.process.kill('SIGTERM')
        }),
    )
    await Promise.all([running.close(), ...exited])
  })
  const publicUrl = `http://${config.host}:${config.port}`
  const base = adminBase(config, publicUrl, running.adminUrl)
  // The public port is bound (by this process, for round-robin) when the first
  // worker listens: only then is the start known to have worked.
  cluster.once('listening', () => {
    announceGeneratedToken(config, database.db, consoleLocation(base), base).catch((error: unknown) =>
      logger.error({ err: error }, 'generating the bootstrap token failed'),
    )
  })
  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS) })
  for (let i = 0; i < config.workers; i++) cluster.fork()
  logger.info(
    { workers: config.workers, public: publicUrl, admin: adminLocation(config, publicUrl, running.adminUrl), console: consoleLocation(base) },
    'crossport cluster started',
  )
}

async function runWorker(config: Readonly<Config>, logger: Logger): Promise<void> {
  const running = await startCrossport(config, logger, { role: 'public' })
  const { events } = running.context
  let isApplyingRelay = false
  process.on('message', (message: unknown) => {
    if (!isRelayMessage(message)) return
    // Emitting is synchronous, so the flag marks exactly the changes that came from elsewhere.
    isApplyingRelay = true
    try {
      if (message.type === 'crossport:policy-changed') events.emit('policy-changed')
      else events.emit('asset-changed', message.urlPath)
    } finally {
      isApplyingRelay = false
    }
  })
  if (config.adminOnMain) {
    // This worker's own admin API changed something: the primary passes it on to the siblings.
    const forward = (message: RelayMessage) => {
      if (!isApplyingRelay) process.send?.(message)
    }
    events.on('policy-changed', () => forward({ type: 'crossport:policy-changed' }))
    events.on('asset-changed', (urlPath) => forward({ type: 'crossport:asset-changed', urlPath }))
  }
  onSignals(logger, running.close, () => running.context.images?.rendersRunning ?? 0)
  // Names this worker's pid for operators (and tests) watching the cluster.
  logger.info('worker listening')
}

async function main(): Promise<void> {
  const config = readConfig()
  const logger = createLogger(config)
  // Once per start: workers read the same environment and would repeat it.
  if (cluster.isPrimary) for (const warning of config.warnings) logger.warn(warning)
  if (config.workers > 1) {
    if (cluster.isPrimary) await runPrimary(config, logger)
    else await runWorker(config, logger.child({ worker: cluster.worker?.id }))
  } else {
    await runSingle(config, logger)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`crossport: failed to start: ${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
})
