/**
 * `decideCors` for the public listener, remembering each decision under the
 * request facts it reads, so the thousands of requests a page set sends with
 * the same few Origins cost a Map lookup:
 *
 * - a preflight reads Origin and Access-Control-Request-Method, -Headers and
 *   -Private-Network;
 * - an actual request with Origin reads the Origin and, only when that origin
 *   is refused, the server's own origin (Host) and Sec-Fetch-Site (the
 *   same-origin checks), so allowed ones are remembered by Origin alone;
 * - one without Origin reads nothing in a folder that is not strict, and
 *   Referer, Sec-Fetch-Site and Host in one that is.
 *
 * The same frozen decision object is handed to every request that asks the
 * same thing, so delivery can key its own per-answer caches on it. Memos hang off the compiled folder, so a
 * policy change (a new compiled table) starts them afresh.
 */
import { LRUCache } from 'lru-cache'
import type { CompiledFolder } from '../policy/table'
import { getOrCreate } from '../util/maps'
import { decideCors, isPreflightRequest } from './decide'
import type { CorsDecision, CorsRequest } from './types'

/** Per folder and kind; a client cycling through made-up values only pushes out the least used. */
const MAX_REMEMBERED = 512

interface FolderMemo {
  withoutOrigin: CorsDecision | undefined
  /** Allowed actual requests by Origin alone: an allowed Origin never depends on anything else. */
  readonly allowed: LRUCache<string, CorsDecision>
  readonly decisions: LRUCache<string, CorsDecision>
}

const memos = new WeakMap<CompiledFolder, FolderMemo>()
const newFolderMemo = (): FolderMemo => ({
  withoutOrigin: undefined,
  allowed: new LRUCache({ max: MAX_REMEMBERED }),
  decisions: new LRUCache({ max: MAX_REMEMBERED }),
})

export function decideCorsRemembered(request: CorsRequest, compiled: CompiledFolder): CorsDecision {
  const memo = getOrCreate(memos, compiled, newFolderMemo)
  const { origin } = request
  if (origin === undefined && compiled.folder.policy.mode !== 'strict') {
    memo.withoutOrigin ??= deepFreeze(decideCors(request, compiled))
    return memo.withoutOrigin
  }
  const isPreflight = isPreflightRequest(request)
  if (origin !== undefined && !isPreflight) {
    const allowed = memo.allowed.get(origin)
    if (allowed !== undefined) return allowed
  }
  const key = keyOf(request, isPreflight)
  const known = memo.decisions.get(key)
  if (known !== undefined) return known
  // Frozen: one object answers many requests, and delivery keys its own memos on it.
  const decision = deepFreeze(decideCors(request, compiled))
  if (origin !== undefined && !isPreflight && decision.outcome === 'allowed') memo.allowed.set(origin, decision)
  else memo.decisions.set(key, decision)
  return decision
}

function deepFreeze(decision: CorsDecision): CorsDecision {
  Object.freeze(decision.headers)
  Object.freeze(decision.vary)
  Object.freeze(decision.reasons)
  return Object.freeze(decision)
}

/**
 * The facts `decideCors` reads for this kind of request, joined by line feeds
 * (a header value never holds one); an absent header is a NUL, which no
 * header value holds either.
 */
function keyOf(r: CorsRequest, isPreflight: boolean): string {
  const { origin } = r
  if (origin === undefined) return `S\n${part(r.referer)}\n${part(r.secFetchSite)}\n${part(r.ownOrigin)}`
  if (isPreflight) return `P\n${origin}\n${part(r.requestMethod)}\n${part(r.requestHeaders)}\n${r.requestPrivateNetwork ? 1 : 0}`
  return `A\n${origin}\n${part(r.ownOrigin)}\n${part(r.secFetchSite)}`
}

const part = (value: string | undefined): string => value ?? '\0'
