import { ApiError, api, forgetToken, setUnauthenticatedHandler, storeToken, storedToken } from './api.js'
import { showAssets, setUpAssets } from './assets.js'
import { setUpAudit, showAudit } from './audit.js'
import { announce, byId, describeError, field, h, replaceChildren } from './dom.js'
import { prefillExplain, setUpExplain } from './explain.js'
import { setExplainHandler, setUpFolders, showFolders, fetchFolders } from './folders.js'
import { forgetSession, setUpTokens, showTokens } from './tokens.js'

const VIEWS = ['folders', 'explain', 'assets', 'tokens', 'audit'] as const
type View = (typeof VIEWS)[number]

const loaders: Record<View, () => Promise<void>> = {
  folders: showFolders,
  explain: async () => {
    // Only for the folder suggestions in the path field; failures show up on the folders page.
    await fetchFolders().catch(() => undefined)
  },
  assets: async () => {
    await fetchFolders().catch(() => undefined)
    await showAssets()
  },
  tokens: showTokens,
  audit: async () => {
    await fetchFolders().catch(() => undefined)
    await showAudit()
  },
}

function currentView(): View {
  const name = location.hash.replace(/^#/, '')
  return (VIEWS as readonly string[]).includes(name) ? (name as View) : 'folders'
}

async function showView(view: View): Promise<void> {
  for (const name of VIEWS) byId(`view-${name}`).hidden = name !== view
  for (const link of document.querySelectorAll<HTMLAnchorElement>('#main-nav a')) {
    if (link.hash === `#${view}`) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
  document.title = `${byId(`view-${view}`).querySelector('h2')?.textContent ?? 'Console'} · Crossport`
  await loaders[view]()
}

/** Before sign-in there is nothing to navigate to: the sections and their links appear together. */
function showSignedIn(isSignedIn: boolean): void {
  byId('sign-in').hidden = isSignedIn
  byId('app').hidden = !isSignedIn
  byId('main-nav').hidden = !isSignedIn
  byId('sign-out').hidden = !isSignedIn
}

function signOut(message: string): void {
  forgetToken()
  forgetSession()
  showSignedIn(false)
  byId('sign-in-error').textContent = message
  byId<HTMLInputElement>('sign-in-token').focus()
}

async function enter(): Promise<void> {
  showSignedIn(true)
  await showView(currentView())
  byId(`view-${currentView()}`).querySelector<HTMLElement>('h2')?.focus()
}

function setUpSignIn(): void {
  const token = field('Admin token', h('input', { id: 'sign-in-token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' }), 'Kept in this tab only (sessionStorage) and sent as a Bearer token.')
  const error = h('p', { class: 'form-error', id: 'sign-in-error', role: 'alert' })
  const form = byId<HTMLFormElement>('sign-in-form')
  replaceChildren(form, token.wrapper, h('button', { type: 'submit' }, 'Sign in'), error)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    error.textContent = ''
    storeToken(token.control.value.trim())
    try {
      // Any read call proves the token; the folders list is needed first anyway.
      await api('GET', '/folders')
      form.reset()
      announce('Signed in.')
      await enter()
    } catch (e) {
      forgetToken()
      error.textContent = e instanceof ApiError && e.status === 401 ? `Sign-in refused: ${e.message}` : describeError(e)
    }
  })
}

function start(): void {
  setUpSignIn()
  setUpFolders()
  setUpExplain()
  setUpAssets()
  setUpTokens()
  setUpAudit()
  setExplainHandler((path) => {
    location.hash = '#explain'
    prefillExplain(path)
  })
  setUnauthenticatedHandler((message) => {
    if (!byId('app').hidden) signOut(`Signed out: ${message}`)
  })
  byId('sign-out').addEventListener('click', () => {
    signOut('')
    announce('Signed out; the token was removed from this tab.')
  })
  window.addEventListener('hashchange', () => {
    // A status line belongs to the view it was said in ("Signed in.", "Copied"): a new view starts clean.
    announce('')
    if (storedToken() !== null) void showView(currentView())
  })
  if (storedToken() === null) showSignedIn(false)
  else void enter()
}

start()
