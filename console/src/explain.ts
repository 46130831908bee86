import { api } from './api.js'
import { byId, clearProblems, copyButton, field, h, replaceChildren, shellQuote, showProblem } from './dom.js'
import type { Explanation } from './types.js'

/**
 * The console cannot know for sure where the public listener is reachable
 * (behind a CDN it is another host): a full URL typed into the panel wins,
 * otherwise the default of `npm start` is assumed, and the panel says so.
 */
export const DEFAULT_PUBLIC_URL = 'http://localhost:8080'

export interface ExplainInput {
  readonly target: string
  readonly origin: string
  readonly method: string
  readonly headers: string
  /** '' = decide like a browser would (preflight for non-simple methods or extra headers). */
  readonly preflight: '' | 'true' | 'false'
  readonly privateNetwork: boolean
  readonly referer: string
  readonly secFetchSite: string
}

let fields: ReturnType<typeof buildFields> | undefined

function buildFields() {
  return {
    path: field('Asset URL or path', h('input', { id: 'explain-path', name: 'path', placeholder: '/brand/logo.png or https://cdn.example/brand/logo.png', autocomplete: 'off', required: true })),
    origin: field('Origin', h('input', { id: 'explain-origin', name: 'origin', placeholder: 'https://shop.example', autocomplete: 'off' }), 'The Origin header the browser sends; empty for a same-origin or no-cors request.'),
    method: field('Method', h('input', { id: 'explain-method', name: 'method', value: 'GET', autocomplete: 'off', list: 'http-methods' })),
    headers: field('Request headers (preflight)', h('input', { id: 'explain-headers', name: 'headers', placeholder: 'x-requested-with, range', autocomplete: 'off' }), 'Access-Control-Request-Headers, comma-separated.'),
    preflight: field(
      'Preflight',
      h(
        'select',
        { id: 'explain-preflight', name: 'preflight' },
        h('option', { value: '' }, 'as a browser decides'),
        h('option', { value: 'true' }, 'yes: OPTIONS preflight'),
        h('option', { value: 'false' }, 'no: the actual request'),
      ),
    ),
    privateNetwork: field('Private Network Access preflight', h('input', { id: 'explain-private-network', name: 'privateNetwork', type: 'checkbox' })),
    referer: field('Referer (strict mode)', h('input', { id: 'explain-referer', name: 'referer', placeholder: 'https://shop.example/page', autocomplete: 'off' })),
    secFetchSite: field(
      'Sec-Fetch-Site (strict mode)',
      h(
        'select',
        { id: 'explain-sec-fetch-site', name: 'secFetchSite' },
        h('option', { value: '' }, '(not sent)'),
        ['same-origin', 'same-site', 'cross-site', 'none'].map((v) => h('option', { value: v }, v)),
      ),
    ),
  }
}

export function setUpExplain(): void {
  const f = buildFields()
  fields = f
  const general = h('p', { class: 'form-error', 'aria-live': 'polite' })
  const form = byId<HTMLFormElement>('explain-form')
  replaceChildren(
    form,
    f.path.wrapper,
    f.origin.wrapper,
    h('div', { class: 'row' }, f.method.wrapper, f.preflight.wrapper),
    f.headers.wrapper,
    h('details', {}, h('summary', {}, 'More request facts'), f.privateNetwork.wrapper, f.referer.wrapper, f.secFetchSite.wrapper),
    h('button', { type: 'submit' }, 'Explain'),
    general,
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearProblems(f, general)
    const input: ExplainInput = {
      target: f.path.control.value.trim(),
      origin: f.origin.control.value.trim(),
      method: f.method.control.value.trim() || 'GET',
      headers: f.headers.control.value.trim(),
      preflight: f.preflight.control.value as ExplainInput['preflight'],
      privateNetwork: f.privateNetwork.control.checked,
      referer: f.referer.control.value.trim(),
      secFetchSite: f.secFetchSite.control.value,
    }
    const query = new URLSearchParams({ path: input.target, method: input.method })
    if (input.origin !== '') query.set('origin', input.origin)
    if (input.headers !== '') query.set('headers', input.headers)
    if (input.preflight !== '') query.set('preflight', input.preflight)
    if (input.privateNetwork) query.set('privateNetwork', 'true')
    if (input.referer !== '') query.set('referer', input.referer)
    if (input.secFetchSite !== '') query.set('secFetchSite', input.secFetchSite)
    const result = byId('explain-result')
    try {
      const explanation = await api<Explanation>('GET', `/explain?${query}`)
      replaceChildren(result, renderExplanation(explanation, input))
      result.querySelector<HTMLElement>('h3')?.focus()
    } catch (error) {
      result.replaceChildren()
      showProblem(error, f, general, { fallback: 'path' })
    }
  })
}

/** Opens the panel for a path (from the folders page). */
export function prefillExplain(path: string): void {
  if (fields === undefined) return
  fields.path.control.value = path
  fields.origin.control.focus()
}

function outcomeText(e: Explanation): string {
  if (e.outcome === 'none') return 'No Origin: CORS does not apply'
  const kind = e.preflight ? 'Preflight' : 'Request'
  return e.outcome === 'allowed' ? `${kind} allowed` : `${kind} refused`
}

/** What the outcome means for the page that made the request (Fetch §4.8 CORS check). */
function consequence(e: Explanation): string | undefined {
  if (e.outcome !== 'refused') return undefined
  if (e.preflight) return `The preflight is answered ${e.status} without CORS headers, so the browser never sends the actual request.`
  if (e.status === 200) return 'Crossport still sends the asset, but without Access-Control-Allow-Origin: the browser withholds it from the page (a CORS error in its console).'
  return `Crossport answers ${e.status} (strict mode): the asset is not sent at all.`
}

export function renderExplanation(e: Explanation, input: ExplainInput): HTMLElement {
  const isFullUrl = /^https?:\/\//i.test(input.target)
  const url = isFullUrl ? input.target : DEFAULT_PUBLIC_URL + e.path
  const curl = curlCommand(url, e, input)
  const headerLines = Object.entries(e.headers).map(([name, value]) => `${name}: ${value}`)
  return h(
    'div',
    { class: `panel explanation outcome-${e.outcome}` },
    h('h3', { tabindex: -1 }, h('span', { class: `verdict ${e.outcome}`, id: 'explain-verdict' }, outcomeText(e)), ` · status ${e.status}`),
    h(
      'dl',
      { class: 'policy' },
      h('dt', {}, 'Path'),
      h('dd', {}, h('code', {}, e.path)),
      h('dt', {}, 'Matched folder'),
      h('dd', {}, h('code', { id: 'explain-folder' }, e.folder.path)),
      h('dt', {}, 'Origin'),
      h('dd', {}, e.origin ?? '(none)'),
      h('dt', {}, 'Method'),
      h('dd', {}, e.preflight ? `OPTIONS preflight for ${e.method}` : e.method),
    ),
    consequence(e) === undefined ? null : h('p', { class: 'consequence' }, consequence(e)),
    h('h4', {}, 'Why'),
    h('ul', { class: 'reasons', id: 'explain-reasons' }, e.reasons.map((reason) => h('li', {}, reason))),
    h('h4', {}, 'Response headers Crossport would send'),
    headerLines.length === 0 ? h('p', { class: 'empty' }, 'No CORS headers.') : h('pre', { class: 'headers', id: 'explain-headers-out' }, headerLines.join('\n')),
    h('h4', {}, 'Reproduce with curl'),
    h('pre', { class: 'curl', id: 'explain-curl' }, curl),
    h('div', { class: 'actions' }, copyButton('Copy curl command', () => curl)),
    isFullUrl ? null : h('p', { class: 'hint' }, `The public URL is assumed to be ${DEFAULT_PUBLIC_URL} (the npm start default); type a full URL above to use another.`),
  )
}

/** A curl command sending exactly the request facts that were explained. */
export function curlCommand(url: string, e: Explanation, input: ExplainInput): string {
  const parts = ['curl', '-i']
  if (e.preflight) parts.push('-X', 'OPTIONS')
  else if (e.method === 'HEAD') parts.push('-I')
  else if (e.method !== 'GET') parts.push('-X', e.method)
  parts.push(shellQuote(url))
  const header = (name: string, value: string) => parts.push('-H', shellQuote(`${name}: ${value}`))
  if (e.origin !== null) header('Origin', e.origin)
  if (e.preflight) {
    header('Access-Control-Request-Method', e.method)
    if (input.headers !== '') header('Access-Control-Request-Headers', input.headers)
    if (input.privateNetwork) header('Access-Control-Request-Private-Network', 'true')
  }
  if (input.referer !== '') header('Referer', input.referer)
  if (input.secFetchSite !== '') header('Sec-Fetch-Site', input.secFetchSite)
  return parts.join(' ')
}
