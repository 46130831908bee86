import { api } from './api.js'
import { announce, byId, confirmButton, copyButton, describeError, field, formatTime, h, replaceChildren, setUpForm } from './dom.js'
import type { CreatedToken, Session, TokenInfo, TokenList } from './types.js'

export function setUpTokens(): void {
  const name = field('Token name', h('input', { id: 'token-name', name: 'name', placeholder: 'ci', autocomplete: 'off', required: true }))
  const scope = field(
    'Scope',
    h('select', { id: 'token-scope', name: 'scope' }, h('option', { value: 'read' }, 'read: look only'), h('option', { value: 'write' }, 'write: change folders, assets and tokens'), h('option', { value: 'sign' }, 'sign: only mint signed URLs')),
  )
  setUpForm('create-token-form', 'Create a token', { name, scope }, 'Create token', async (form) => {
    const created = await api<CreatedToken>('POST', '/tokens', { name: name.control.value.trim(), scope: scope.control.value })
    form.reset()
    showSecret(created)
    await showTokens()
  })
}

/** The secret exists in this answer only (the server keeps its hash): show it once, with a copy button. */
function showSecret(created: CreatedToken): void {
  const secretId = 'new-token-secret'
  const input = h('input', { id: secretId, readonly: true, value: created.token, class: 'secret' })
  const dismiss = h('button', { type: 'button', class: 'secondary' }, 'I have stored it')
  dismiss.addEventListener('click', () => byId('new-token').replaceChildren())
  replaceChildren(
    byId('new-token'),
    h(
      'div',
      { class: 'panel notice', role: 'status' },
      h('h3', {}, `Token “${created.name}” (${created.scope}) created`),
      h('p', {}, 'Copy the secret now: it is shown this once and cannot be retrieved later.'),
      h('label', { for: secretId }, 'Secret'),
      input,
      h('div', { class: 'actions' }, copyButton('Copy secret', () => created.token), ' ', dismiss),
    ),
  )
  input.focus()
  input.select()
}

/** Which token this tab is signed in with, asked once per sign-in. */
let session: Promise<Session | undefined> | undefined

export function forgetSession(): void {
  session = undefined
}

function currentSession(): Promise<Session | undefined> {
  session ??= api<Session>('GET', '/whoami').catch(() => {
    session = undefined
    return undefined
  })
  return session
}

export async function showTokens(): Promise<void> {
  const error = byId('tokens-error')
  error.textContent = ''
  try {
    const [list, me] = await Promise.all([api<TokenList>('GET', '/tokens'), currentSession()])
    replaceChildren(
      byId('token-list'),
      list.items.length === 0 ? h('p', { class: 'empty' }, 'No tokens.') : h(
        'table',
        {},
        h('caption', { class: 'visually-hidden' }, 'Admin tokens'),
        h('thead', {}, h('tr', {}, ['Name', 'Scope', 'Created', 'Last used', 'Status', ''].map((title) => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, list.items.map((token) => renderToken(token, token.id === me?.id))),
      ),
    )
  } catch (e) {
    error.textContent = describeError(e)
  }
}

function renderToken(token: TokenInfo, isOwn: boolean): HTMLTableRowElement {
  const isActive = token.revokedAt === null
  return h(
    'tr',
    { 'data-token-id': token.id, class: isActive ? '' : 'revoked' },
    h('th', { scope: 'row', 'data-label': 'Name' }, token.name, isOwn ? h('span', { class: 'badge own', title: 'This tab is signed in with this token' }, 'this tab') : null),
    h('td', { 'data-label': 'Scope' }, token.scope),
    h('td', { 'data-label': 'Created' }, formatTime(token.createdAt)),
    h('td', { 'data-label': 'Last used' }, formatTime(token.lastUsedAt)),
    h('td', { 'data-label': 'Status', class: 'token-status' }, isActive ? 'active' : `revoked ${formatTime(token.revokedAt)}`),
    h('td', {}, isActive ? revokeButton(token, isOwn) : null),
  )
}

async function revoke(token: TokenInfo): Promise<void> {
  let refusal: string | undefined
  try {
    await api('DELETE', `/tokens/${encodeURIComponent(token.id)}`)
    announce(`Token ${token.name} revoked.`)
  } catch (e) {
    refusal = describeError(e)
  }
  await showTokens()
  // After the refresh, which clears the line: e.g. 409 for the last write token, in the API's own words.
  if (refusal !== undefined) byId('tokens-error').textContent = refusal
}

function revokeButton(token: TokenInfo, isOwn: boolean): HTMLElement {
  const name = `Revoke token ${token.name}`
  if (!isOwn) return confirmButton('Revoke', `Revoke “${token.name}”? Anything using it loses access at once.`, () => revoke(token), name)
  // The tab's own token: a modal dialog, since revoking it ends this session too.
  const button = h('button', { type: 'button', class: 'danger', 'aria-label': name }, 'Revoke')
  button.addEventListener('click', () => confirmOwnRevoke(token, button))
  return button
}

function confirmOwnRevoke(token: TokenInfo, opener: HTMLButtonElement): void {
  const yes = h('button', { type: 'button', class: 'danger', value: 'revoke' }, 'Revoke and sign out')
  const no = h('button', { type: 'button', class: 'secondary', value: 'cancel' }, 'Keep it')
  const dialog = h(
    'dialog',
    { id: 'revoke-own-dialog', 'aria-labelledby': 'revoke-own-title' },
    h('h3', { id: 'revoke-own-title' }, `Revoke “${token.name}”, the token this tab is signed in with?`),
    h('p', {}, 'This console stops working at once and you will have to sign in with another token. Anything else using it loses access too.'),
    h('div', { class: 'actions' }, yes, ' ', no),
  )
  const close = () => {
    dialog.close()
    dialog.remove()
    opener.focus()
  }
  no.addEventListener('click', close)
  dialog.addEventListener('cancel', () => dialog.remove())
  yes.addEventListener('click', async () => {
    yes.disabled = true
    dialog.close()
    dialog.remove()
    await revoke(token)
  })
  document.body.append(dialog)
  dialog.showModal()
  no.focus()
}
