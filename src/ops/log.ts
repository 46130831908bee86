import pino, { type Logger } from 'pino'
import type { Config } from '../config/config'

export type { Logger }

/** Never let a credential reach a log line, whatever a caller passes in. */
const REDACT = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'adminToken',
]

export function createLogger(config: Pick<Config, 'logLevel' | 'logPretty'>, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { pid: process.pid },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  }
  if (destination) return pino(options, destination)
  if (config.logPretty) {
    // pino-pretty is a dev dependency: only asked for when LOG_PRETTY=true.
    return pino({ ...options, transport: { target: 'pino-pretty', options: { colorize: true } } })
  }
  return pino(options)
}
