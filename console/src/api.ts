import type { Asset, Problem as ApiProblem } from './types.js'

/**
 * RFC 9457 problem details as the admin API sends them (plus its `errors`
 * member); only `status` is sure, since an answer from something else (a
 * proxy, a network error) may carry none of the rest.
 */
export type Problem = Partial<ApiProblem> & { readonly status: number }

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail ?? problem.title ?? `The admin API answered ${status}`)
    this.name = 'ApiError'
  }
}

// sessionStorage only: the token dies with the tab and is never written to disk
// by the page, and no other tab or site can read it.
const TOKEN_KEY = 'crossport.adminToken'

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY)
}

export function storeToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token)
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY)
}

let onUnauthenticated: (message: string) => void = () => {}

/** Called whenever the API answers 401 (token wrong, revoked, or gone). */
export function setUnauthenticatedHandler(handler: (message: string) => void): void {
  onUnauthenticated = handler
}

// Relative to the page (served at /admin/), so the console follows the API wherever it is mounted.
export const apiUrl = (path: string): string => `v1${path}`

/** One call of the admin API; resolves the JSON body, rejects with ApiError carrying the problem. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' }
  const token = storedToken()
  if (token !== null) headers.authorization = `Bearer ${token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  let response: Response
  try {
    response = await fetch(apiUrl(path), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    })
  } catch (error) {
    throw new ApiError(0, { status: 0, title: 'Network error', detail: `The admin API could not be reached (${String(error)})` })
  }
  return readAnswer<T>(response.status, response.headers.get('content-type') ?? '', await response.text())
}

function readAnswer<T>(status: number, contentType: string, text: string): T {
  const data: unknown = text !== '' && contentType.includes('json') ? safeJson(text) : text
  if (status >= 200 && status < 300) return (status === 204 ? undefined : data) as T
  const problem = toProblem(status, data)
  if (status === 401) onUnauthenticated(problem.detail ?? 'Sign in again.')
  throw new ApiError(status, problem)
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

function toProblem(status: number, data: unknown): Problem {
  if (typeof data === 'object' && data !== null) {
    const record = data as Record<string, unknown>
    return {
      status,
      type: typeof record.type === 'string' ? record.type : undefined,
      title: typeof record.title === 'string' ? record.title : undefined,
      detail: typeof record.detail === 'string' ? record.detail : undefined,
      errors: Array.isArray(record.errors) ? (record.errors as Problem['errors']) : undefined,
    }
  }
  const text = typeof data === 'string' && data.trim() !== '' ? data.trim().slice(0, 300) : undefined
  return { status, title: `HTTP ${status}`, detail: text ?? `The admin API answered ${status}` }
}

/** Encodes each segment of an asset path, keeping the slashes. */
export const encodePath = (path: string): string => path.split('/').map(encodeURIComponent).join('/')

/**
 * `PUT /assets/{path}` with the file as the raw body. XMLHttpRequest, not
 * fetch: only XHR reports upload progress (`upload.onprogress`).
 */
export function uploadAsset(path: string, file: File, onProgress: (loaded: number, total: number) => void): Promise<Asset> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest()
    xhr.open('PUT', apiUrl(`/assets${encodePath(path)}`))
    const token = storedToken()
    if (token !== null) xhr.setRequestHeader('authorization', `Bearer ${token}`)
    xhr.setRequestHeader('content-type', file.type === '' ? 'application/octet-stream' : file.type)
    xhr.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size)
    xhr.onerror = () => reject(new ApiError(0, { status: 0, title: 'Network error', detail: `Uploading ${path} failed: the connection broke` }))
    xhr.onabort = () => reject(new ApiError(0, { status: 0, title: 'Aborted', detail: `Uploading ${path} was cancelled` }))
    xhr.onload = () => {
      try {
        resolve(readAnswer<Asset>(xhr.status, xhr.getResponseHeader('content-type') ?? '', xhr.responseText))
      } catch (error) {
        reject(error)
      }
    }
    xhr.send(file)
  })
}
