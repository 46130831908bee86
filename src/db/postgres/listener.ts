import type { Client } from 'pg'
import type { PgDatabase } from './database'
import { CHANGES_CHANNEL, parseNotice, type ChangeNotice } from './notices'

/** First pause before connecting again; each failure doubles it, up to MAX_RETRY_MS. */
const FIRST_RETRY_MS = 100
const MAX_RETRY_MS = 2_000

export interface ListenerEvents {
  onNotice(notice: ChangeNotice): void
  /** LISTEN is in place (again): anything sent while it was not may have been missed. */
  onConnected(): void
  /** The connection failed or closed; a new one is tried after a growing pause. */
  onLost(error: Error): void
}

/**
 * A connection of its own that LISTENs on CHANGES_CHANNEL (a pooled one
 * would be handed to statements), and connects again, with backoff, for as
 * long as it is not closed.
 */
export class ChangeListener {
  private client: Client | undefined
  private retryMs = FIRST_RETRY_MS
  private retryTimer: NodeJS.Timeout | undefined
  private closed = false

  constructor(
    private readonly db: PgDatabase,
    private readonly events: ListenerEvents,
  ) {}

  get listening(): boolean {
    return this.client !== undefined
  }

  /** Settles after the first attempt, connected or not (a failure schedules the next one). */
  async start(): Promise<void> {
    await this.connect()
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retryTimer)
    const client = this.client
    this.client = undefined
    await client?.end().catch(() => {})
  }

  private async connect(): Promise<void> {
    const client = this.db.newClient()
    let isLost = false
    const lose = (error: Error) => {
      if (isLost) return
      isLost = true
      if (this.client === client) this.client = undefined
      client.end().catch(() => {})
      if (this.closed) return
      this.events.onLost(error)
      this.retryTimer = setTimeout(() => void this.connect(), this.retryMs)
      this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS)
    }
    client.on('error', lose)
    client.on('end', () => lose(new Error('the LISTEN connection to PostgreSQL closed')))
    client.on('notification', (message) => {
      if (message.channel !== CHANGES_CHANNEL) return
      const notice = parseNotice(message.payload)
      if (notice !== undefined) this.events.onNotice(notice)
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${CHANGES_CHANNEL}`)
    } catch (error: unknown) {
      lose(error instanceof Error ? error : new Error(String(error)))
      return
    }
    if (this.closed || isLost) {
      await client.end().catch(() => {})
      return
    }
    this.client = client
    this.retryMs = FIRST_RETRY_MS
    this.events.onConnected()
  }
}
