/**
 * Whether a request needs a URL signature, and whether it has a valid one.
 * Pure, and never remembered across requests: the verdict
 * depends on the URL's query and on the clock, unlike the CORS decision
 * (decision-memo.ts), which is why this is a step of its own.
 */
import type { CompiledFolder } from '../policy/table'
import { fixedReason, type Reason } from './reasons'
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

function isSignatureRequired(compiled: CompiledFolder, hasImageParams: boolean): boolean {
  const mode = compiled.folder.policy.signedUrls
  return mode === 'required' || (mode === 'derivatives' && hasImageParams)
}

/** Why the signature step answered as it did, for explain (`reasonText` words them). */
export function describeSignature(decision: SignatureDecision, compiled: CompiledFolder): Reason[] {
  const mode = compiled.folder.policy.signedUrls
  if (!decision.isRequired) return mode === 'off' ? [] : [fixedReason('signature-not-needed')]
  const why: Reason = { code: 'signature-required', mode: mode === 'required' ? 'required' : 'derivatives' }
  const { verdict } = decision
  if (verdict.reason === 'valid') return [why, { code: 'signature-valid', detail: verdict.detail, remainingSeconds: decision.remainingSeconds ?? 0 }]
  return [why, { code: 'signature-invalid', verdict: verdict.reason, detail: verdict.detail }, fixedReason('signature-refused')]
}
