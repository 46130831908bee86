import type { EventEmitter } from 'node:events'

/** Events shared by the parts of one process; `main.ts` relays them across cluster workers. */
export interface AppEvents extends EventEmitter {
  emit(event: 'policy-changed'): boolean
  emit(event: 'asset-changed', urlPath: string): boolean
  on(event: 'policy-changed', listener: () => void): this
  on(event: 'asset-changed', listener: (urlPath: string) => void): this
}
