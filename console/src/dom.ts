import { ApiError } from './api.js'

type Child = Node | string | null | undefined | false
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>

/**
 * Builds an element. Text always goes in as text nodes, never as HTML: origins,
 * paths and token names are operator input and must not become markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: (Child | Child[])[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value)
    else if (value === true) element.setAttribute(name, '')
    else element.setAttribute(name, String(value))
  }
  append(element, children)
  return element
}

function append(parent: Node, children: (Child | Child[])[]): void {
  for (const child of children) {
    if (Array.isArray(child)) append(parent, child)
    else if (child === null || child === undefined || child === false) continue
    else parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child)
  }
}

export function replaceChildren(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren()
  append(parent, children)
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id)
  if (element === null) throw new Error(`console markup lacks #${id}`)
  return element as T
}

let uniqueCounter = 0
export const uniqueId = (prefix: string): string => `${prefix}-${++uniqueCounter}`

/**
 * A labelled control with its own error line. The error is tied to the control
 * with aria-describedby, so a screen reader reads it with the field.
 */
export interface Field<T extends HTMLElement> {
  readonly wrapper: HTMLElement
  readonly control: T
  readonly error: HTMLElement
  showError(message: string | undefined): void
}

export function field<T extends HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(label: string, control: T, hint?: string): Field<T> {
  if (control.id === '') control.id = uniqueId('field')
  const errorId = `${control.id}-error`
  const hintId = `${control.id}-hint`
  const error = h('p', { class: 'field-error', id: errorId, 'aria-live': 'polite' })
  control.setAttribute('aria-describedby', hint === undefined ? errorId : `${hintId} ${errorId}`)
  const isCheck = control instanceof HTMLInputElement && control.type === 'checkbox'
  const labelElement = h('label', { for: control.id }, label)
  const wrapper = h(
    'div',
    { class: isCheck ? 'field field-check' : 'field' },
    isCheck ? [control, labelElement] : [labelElement, control],
    hint === undefined ? null : h('p', { class: 'hint', id: hintId }, hint),
    error,
  )
  return {
    wrapper,
    control,
    error,
    showError(message) {
      error.textContent = message ?? ''
      if (message === undefined) control.removeAttribute('aria-invalid')
      else control.setAttribute('aria-invalid', 'true')
    },
  }
}

/** Splits a list typed as "a, b c" into ["a", "b", "c"]. */
export const splitList = (text: string): string[] => text.split(/[\s,]+/).filter((part) => part !== '')

/** Polite status line for results that are not errors. */
export function announce(message: string): void {
  byId('status').textContent = message
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message
  return error instanceof Error ? error.message : String(error)
}

/** A button that copies `text()`; the Clipboard API needs a secure context, else select-and-copy. */
export function copyButton(label: string, text: () => string, accessibleName?: string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'secondary', 'aria-label': accessibleName }, label)
  button.addEventListener('click', async () => {
    const value = text()
    try {
      await navigator.clipboard.writeText(value)
    } catch {
      const scratch = h('textarea', { readonly: true, class: 'visually-hidden' })
      scratch.value = value
      document.body.append(scratch)
      scratch.select()
      document.execCommand('copy')
      scratch.remove()
    }
    announce('Copied to the clipboard.')
    button.textContent = 'Copied'
    setTimeout(() => (button.textContent = label), 1500)
  })
  return button
}

/**
 * A destructive action in two steps, without window.confirm (which a keyboard
 * or screen-reader user cannot always reach the same way): the first click
 * shows a confirm and a cancel button in place.
 */
export function confirmButton(label: string, question: string, action: () => Promise<void>, accessibleName?: string): HTMLElement {
  const holder = h('span', { class: 'confirm' })
  const start = h('button', { type: 'button', class: 'danger', 'aria-label': accessibleName }, label)
  const showStart = () => replaceChildren(holder, start)
  start.addEventListener('click', () => {
    const yes = h('button', { type: 'button', class: 'danger' }, `Yes, ${label.toLowerCase()}`)
    const no = h('button', { type: 'button', class: 'secondary' }, 'Cancel')
    yes.addEventListener('click', async () => {
      yes.disabled = true
      try {
        await action()
      } finally {
        if (holder.isConnected) showStart()
      }
    })
    no.addEventListener('click', () => {
      showStart()
      start.focus()
    })
    replaceChildren(holder, h('span', { class: 'question' }, question), ' ', yes, ' ', no)
    no.focus()
  })
  showStart()
  return holder
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

export function formatTime(iso: string | null): string {
  if (iso === null) return '—'
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString()
}

/** Shell-quotes one argument for a POSIX shell (single quotes, `'` as `'\''`). */
export const shellQuote = (value: string): string => `'${value.replace(/'/g, `'\\''`)}'`

/**
 * Shows an API error where it belongs: each field the problem names gets one
 * line with the API's own message for it (several messages for one field,
 * such as two bad origins, share that line). Only what no field of the form
 * can show goes to the form's general line; a problem naming no field goes to
 * `fallback`'s line for a 4xx, else to the general line.
 */
export function showProblem(
  error: unknown,
  fields: Readonly<Record<string, Field<HTMLElement>>>,
  general: HTMLElement,
  options: { prefix?: string; fallback?: string } = {},
): void {
  clearProblems(fields, general)
  if (!(error instanceof ApiError)) {
    general.textContent = describeError(error)
    return
  }
  const prefix = options.prefix ?? ''
  const named = new Map<string, string[]>()
  const unplaced: string[] = []
  for (const problem of error.problem.errors ?? []) {
    const name = (problem.field.startsWith(prefix) ? problem.field.slice(prefix.length) : problem.field).split('.')[0] ?? ''
    if (fields[name] === undefined) unplaced.push(`${problem.field}: ${problem.message}`)
    else named.set(name, [...(named.get(name) ?? []), problem.message])
  }
  for (const [name, messages] of named) fields[name]?.showError([...new Set(messages)].join('; '))
  if (named.size > 0) {
    general.textContent = unplaced.join('; ')
  } else if (options.fallback !== undefined && fields[options.fallback] !== undefined && error.status >= 400 && error.status < 500) {
    fields[options.fallback]?.showError(error.message)
  } else {
    general.textContent = error.message
  }
}

export function clearProblems(fields: Readonly<Record<string, Field<HTMLElement>>>, general: HTMLElement): void {
  for (const f of Object.values(fields)) f.showError(undefined)
  general.textContent = ''
}

/**
 * Fills the form `id` with a heading, its fields and a submit button. `submit`
 * runs with the previous problems cleared; an API error it throws is shown at
 * the fields it names (`showProblem`).
 */
export function setUpForm(
  id: string,
  heading: string,
  fields: Readonly<Record<string, Field<HTMLElement>>>,
  submitLabel: string,
  submit: (form: HTMLFormElement) => Promise<void>,
  problemOptions?: { prefix?: string; fallback?: string },
): void {
  const general = h('p', { class: 'form-error', 'aria-live': 'polite' })
  const form = byId<HTMLFormElement>(id)
  replaceChildren(form, h('h3', {}, heading), Object.values(fields).map((f) => f.wrapper), h('button', { type: 'submit' }, submitLabel), general)
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    clearProblems(fields, general)
    try {
      await submit(form)
    } catch (error) {
      showProblem(error, fields, general, problemOptions)
    }
  })
}
