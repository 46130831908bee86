import type { EventEmitter } from 'node:events'

/** Events shared by the parts of one process; `main.ts` relays them across cluster workers. */
export interface AppEvents extends EventEmitter {
  emit(event: 'policy-changed'): boolean
  emit(event: 'asset-changed', urlPath: string): boolean
  /** Changes to assets may have been missed (a lost PostgreSQL connection): forget what is kept about every asset. */
  emit(event: 'assets-unknown'): boolean
  on(event: 'policy-changed', listener: () => void): this
  on(event: 'asset-changed', listener: (urlPath: string) => void): this
  on(event: 'assets-unknown', listener: () => void): this
}
