import { api } from './api.js'
import { announce, clearProblems, field, h, showProblem, splitList, type Field } from './dom.js'
import type { Folder, Policy, SignedUrlsMode } from './types.js'

/** The policy editor of the folders panel, and the read-only summary of an inherited policy. */

/** A read-only summary of a policy (for a path that inherits it). */
export function describePolicy(policy: Policy): HTMLElement {
  const row = (term: string, value: string) => [h('dt', {}, term), h('dd', {}, value)]
  return h(
    'dl',
    { class: 'policy' },
    row('Origins', policy.origins.length === 0 ? 'none (no cross-origin access)' : policy.origins.join(', ')),
    row('Methods', policy.methods.join(', ')),
    row('Allowed request headers', policy.allowHeaders.join(', ') || 'none'),
    row('Exposed response headers', policy.exposeHeaders.join(', ') || 'none'),
    row('Preflight max-age', `${policy.maxAge} s`),
    row('Credentials', policy.credentials ? 'allowed' : 'not allowed'),
    row('Private Network Access', policy.privateNetwork ? 'answered' : 'not answered'),
    row('Mode', policy.mode === 'strict' ? 'strict (also refuses hotlinks)' : 'cors (browser-enforced)'),
    row('Cache-Control', policy.cacheControl),
    row('CDN Cache-Control', policy.cdnCacheControl ?? 'none (the CDN follows Cache-Control)'),
    row('Signed URLs', SIGNED_URLS_LABELS[policy.signedUrls]),
  )
}

const LIST_FIELDS = ['methods', 'allowHeaders', 'exposeHeaders'] as const

/** The policy of one folder as a form; saving sends only the changed fields, then `onSaved` refreshes the view. */
export function renderPolicyForm(folder: Folder, onSaved: () => Promise<void>): HTMLElement {
  const policy = folder.policy
  const text = (id: string, value: string) => h('input', { id, autocomplete: 'off', value })
  const fields = {
    methods: field('Methods', text('policy-methods', policy.methods.join(', ')), 'e.g. GET, HEAD'),
    allowHeaders: field('Allowed request headers', text('policy-allow-headers', policy.allowHeaders.join(', ')), 'Access-Control-Allow-Headers, e.g. Range'),
    exposeHeaders: field('Exposed response headers', text('policy-expose-headers', policy.exposeHeaders.join(', ')), 'Access-Control-Expose-Headers'),
    maxAge: field('Preflight max-age (seconds)', h('input', { id: 'policy-max-age', type: 'number', min: 0, step: 1, value: policy.maxAge })),
    credentials: field('Allow credentials (cookies, HTTP auth)', h('input', { id: 'policy-credentials', type: 'checkbox', checked: policy.credentials })),
    privateNetwork: field('Answer Private Network Access preflights', h('input', { id: 'policy-private-network', type: 'checkbox', checked: policy.privateNetwork })),
    mode: field(
      'Mode',
      h(
        'select',
        { id: 'policy-mode' },
        h('option', { value: 'cors', selected: policy.mode === 'cors' }, 'cors: browsers enforce the allow-list'),
        h('option', { value: 'strict', selected: policy.mode === 'strict' }, 'strict: also refuse other sites (hotlink protection)'),
      ),
    ),
    cacheControl: field('Cache-Control', text('policy-cache-control', policy.cacheControl)),
    cdnCacheControl: field(
      'CDN Cache-Control',
      text('policy-cdn-cache-control', policy.cdnCacheControl ?? ''),
      'For the CDN alone (CDN-Cache-Control), e.g. public, max-age=86400; empty: the CDN follows Cache-Control',
    ),
    signedUrls: field(
      'Signed URLs',
      h(
        'select',
        { id: 'policy-signed-urls' },
        (Object.keys(SIGNED_URLS_LABELS) as SignedUrlsMode[]).map((mode) => h('option', { value: mode, selected: policy.signedUrls === mode }, `${mode}: ${SIGNED_URLS_LABELS[mode]}`)),
      ),
      'Needs URL_SIGNING_KEYS; mint URLs with POST /admin/v1/sign or crossport sign',
    ),
  } satisfies Record<string, Field<HTMLElement>>
  const general = h('p', { class: 'form-error', 'aria-live': 'polite' })
  const form = h(
    'form',
    { class: 'policy-form', 'aria-label': `Policy of ${folder.path}` },
    h('h4', {}, 'Policy'),
    Object.values(fields).map((f) => f.wrapper),
    h('button', { type: 'submit' }, 'Save policy'),
    general,
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearProblems(fields, general)
    const patch = changedFields(policy, {
      methods: splitList(fields.methods.control.value),
      allowHeaders: splitList(fields.allowHeaders.control.value),
      exposeHeaders: splitList(fields.exposeHeaders.control.value),
      maxAge: numberOrRaw(fields.maxAge.control.value),
      credentials: fields.credentials.control.checked,
      privateNetwork: fields.privateNetwork.control.checked,
      mode: fields.mode.control.value,
      cacheControl: fields.cacheControl.control.value,
      cdnCacheControl: fields.cdnCacheControl.control.value.trim() === '' ? null : fields.cdnCacheControl.control.value,
      signedUrls: fields.signedUrls.control.value,
    })
    if (Object.keys(patch).length === 0) {
      general.textContent = 'Nothing changed.'
      return
    }
    try {
      await api('PATCH', `/folders/${folder.id}`, patch)
      announce(`Policy of ${folder.path} saved.`)
      await onSaved()
    } catch (error) {
      showProblem(error, fields, general)
    }
  })
  return form
}

const SIGNED_URLS_LABELS: Readonly<Record<SignedUrlsMode, string>> = {
  off: 'not needed',
  derivatives: 'needed for image parameters (w, q, fmt…)',
  required: 'needed for every request',
}

/** A number when the input holds one; otherwise the raw text, so the API says what is wrong with it. */
function numberOrRaw(value: string): number | string {
  const trimmed = value.trim()
  const n = Number(trimmed)
  return trimmed !== '' && Number.isFinite(n) ? n : trimmed
}

/** Only the fields the operator changed: one PATCH, and an audit entry that says what changed. */
function changedFields(policy: Policy, form: Record<string, unknown>): Record<string, unknown> {
  const patch: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(form)) {
    const current = (policy as unknown as Record<string, unknown>)[name]
    const isList = (LIST_FIELDS as readonly string[]).includes(name)
    const same = isList ? JSON.stringify(current) === JSON.stringify(value) : current === value
    if (!same) patch[name] = value
  }
  return patch
}
