/**
 * Everything about a request that can be decided before any I/O, in one pure
 * step: CORS and strict mode (remembered per folder), OPTIONS, folder paths,
 * URL signatures, and the refusal to render for an origin CORS refuses. What
 * is left is a request to deliver, with the facts the later steps need.
 */
import { decideCorsRemembered } from '../cors/decision-memo'
import { decideSignature } from '../cors/signature'
import type { CorsDecision, CorsRequest } from '../cors/types'
import { isFolderPath } from '../http/safe-path'
import { IMAGE_PARAMS } from '../images/params'
import type { CompiledFolder } from '../policy/table'
import { withoutSignatureParams, type SigningKeyring } from '../signing/url-signature'
import type { DecidedAnswer } from './write-error'

export interface RequestQuestion {
  readonly method: string
  /** Safe (decoded and checked) path. */
  readonly path: string
  /** After `?`, as sent; undefined without one. */
  readonly queryString: string | undefined
  readonly cors: CorsRequest
}

export interface DecisionRules {
  readonly signingKeys: SigningKeyring | undefined
  /** Whether a query asks for an image derivative; undefined when there is no image service. */
  readonly wantsDerivative: ((query: URLSearchParams, path: string) => boolean) | undefined
  readonly nowSeconds: () => number
}

/** The request is answered by the decision alone. */
export interface DecidedRequest {
  readonly answer: DecidedAnswer
  readonly cors: CorsDecision
}

/** The request goes on to the store (and maybe the image service). */
export interface RequestToDeliver {
  readonly answer: undefined
  readonly cors: CorsDecision
  /** The folder policy's Cache-Control. */
  readonly cacheControl: string
  /** The folder policy's Cache-Control for the CDN alone; null: none. */
  readonly cdnCacheControl: string | null
  /** Without signature parameters when a signature was checked. */
  readonly query: URLSearchParams | undefined
  readonly wantsDerivative: boolean
  /** Seconds a valid URL signature has left: no cache may keep the answer longer. */
  readonly signatureSecondsLeft: number | undefined
}

export type RequestDecision = DecidedRequest | RequestToDeliver

export function decideRequest(question: RequestQuestion, compiled: CompiledFolder, rules: DecisionRules): RequestDecision {
  const cors = decideCorsRemembered(question.cors, compiled)
  // A preflight (204/403) or a strict-mode refusal (403): the decision is the whole answer.
  if (cors.status !== undefined) return { answer: 'decided', cors }
  if (question.method === 'OPTIONS') return { answer: 'options', cors }
  // No listings: a folder is never a resource.
  if (isFolderPath(question.path)) return { answer: 'not-found', cors }

  const { path, queryString } = question
  let query = queryString === undefined ? undefined : new URLSearchParams(queryString)
  let signatureSecondsLeft: number | undefined
  if (compiled.folder.policy.signedUrls !== 'off') {
    // Per request, never memoised: the verdict depends on the query and the clock.
    const hasImageParams = query !== undefined && IMAGE_PARAMS.some((name) => query?.has(name))
    const signature = decideSignature({ path, rawQuery: queryString, hasImageParams, nowSeconds: rules.nowSeconds() }, compiled, rules.signingKeys)
    if (signature.isRequired) {
      if (signature.verdict.reason !== 'valid' || query === undefined) return { answer: 'unsigned', cors }
      signatureSecondsLeft = signature.remainingSeconds
      // The image service sees what the URL asks for, not the signature.
      if (hasImageParams) query = withoutSignatureParams(query)
    }
  }
  const wantsDerivative = query !== undefined && rules.wantsDerivative !== undefined && rules.wantsDerivative(query, path)
  // A refused origin never makes the server render, whether the derivative is cached or not.
  if (wantsDerivative && cors.outcome === 'refused') return { answer: 'refused-render', cors }
  const { cacheControl, cdnCacheControl } = compiled.folder.policy
  return { answer: undefined, cors, cacheControl, cdnCacheControl, query, wantsDerivative, signatureSecondsLeft }
}
