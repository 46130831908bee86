/**
 * Whether a request needs a URL signature, and whether it has a valid one.
 * Pure, and never remembered across requests: the verdict
 * depends on the URL's query and on the clock, unlike the CORS decision
 * (decision-memo.ts), which is why this is a step of its own.
 */
import type { CompiledFolder } from '../policy/table'
import { verifySignature, type SignatureVerdict, type SigningKeyring } from '../signing/url-signature'

export interface SignatureFacts {
  /** Decoded, as the policy table resolved it. */
  readonly path: string
  /** After `?`, as sent; undefined without one. */
  readonly rawQuery: string | undefined
  /** The query names an image parameter (w, h, q, fmt, fit, dpr). */
  readonly hasImageParams: boolean
  readonly nowSeconds: number
}

export type SignatureDecision =
  | { readonly isRequired: false }
  | {
      readonly isRequired: true
      readonly verdict: SignatureVerdict
      /** Seconds the signature stays valid; set only when the verdict is valid. */
      readonly remainingSeconds: number | undefined
    }

const NOT_REQUIRED: SignatureDecision = Object.freeze({ isRequired: false })

/** Preflights never reach this: a browser cannot sign them, so CORS alone decides them. */
export function decideSignature(facts: SignatureFacts, compiled: CompiledFolder, keyring: SigningKeyring | undefined): SignatureDecision {
  if (!isSignatureRequired(compiled, facts.hasImageParams)) return NOT_REQUIRED
  const verdict = verifySignature(keyring, facts.path, facts.rawQuery, facts.nowSeconds)
  const remainingSeconds = verdict.reason === 'valid' && verdict.expiresAtSeconds !== undefined ? verdict.expiresAtSeconds - facts.nowSeconds : undefined
  return { isRequired: true, verdict, remainingSeconds }
}

export function isSignatureRequired(compiled: CompiledFolder, hasImageParams: boolean): boolean {
  const mode = compiled.folder.policy.signedUrls
  return mode === 'required' || (mode === 'derivatives' && hasImageParams)
}

/** Plain-language reasons for explain. */
export function describeSignature(decision: SignatureDecision, compiled: CompiledFolder): string[] {
  const mode = compiled.folder.policy.signedUrls
  if (!decision.isRequired) {
    if (mode === 'off') return []
    return ['signedUrls is "derivatives" and the URL has no image parameters: a plain asset needs no signature.']
  }
  const why = mode === 'required' ? 'signedUrls is "required": every request needs a signature.' : 'signedUrls is "derivatives" and the URL has image parameters: it needs a signature.'
  const { verdict } = decision
  if (verdict.reason === 'valid') {
    return [why, `${verdict.detail} It expires in ${decision.remainingSeconds ?? 0} s; Cache-Control is capped to that.`]
  }
  return [why, `Signature ${verdict.reason}: ${verdict.detail}`, 'Refused with 403 (empty body, Cache-Control: no-store).']
}
