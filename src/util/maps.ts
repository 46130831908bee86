/** The parts of Map and WeakMap that `getOrCreate` uses. */
interface KeyedStore<K, V> {
  get(key: K): V | undefined
  set(key: K, value: V): unknown
}

/**
 * The value under `key`, created by `create` and stored on first use. On hot
 * paths pass a function defined once (not an arrow built per call).
 */
export function getOrCreate<K, V>(store: KeyedStore<K, V>, key: K, create: () => V): V {
  let value = store.get(key)
  if (value === undefined) {
    value = create()
    store.set(key, value)
  }
  return value
}

export const newMap = <K, V>(): Map<K, V> => new Map<K, V>()
export const newWeakMap = <K extends object, V>(): WeakMap<K, V> => new WeakMap<K, V>()
