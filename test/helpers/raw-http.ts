import { connect, type Socket } from 'node:net'

/** A response read off a raw socket: status and lower-cased headers (body ignored). */
export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** One raw connection: what the server answered, and when it closed the socket. */
export interface RawConnection {
  readonly socket: Socket
  /** The response head, as soon as it has arrived (rejects if the socket closes first). */
  readonly response: Promise<RawResponse>
  /** Everything received, once the socket is closed (by either side). */
  readonly closed: Promise<string>
  /** Sends one byte every `intervalMs` until the socket closes. */
  trickle(intervalMs: number): void
}

function parseHead(data: string): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n')
  if (end === -1) return undefined
  const [statusLine = '', ...lines] = data.slice(0, end).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: data.slice(end + 4) }
}

/**
 * Opens a TCP connection to `baseUrl` and writes `request` verbatim, so tests
 * can send what `fetch` never would: absolute-form targets, any Host header,
 * a body that trickles in.
 */
export function openRaw(baseUrl: string, request: string): RawConnection {
  const { hostname, port } = new URL(baseUrl)
  const socket = connect(Number(port), hostname.replace(/^\[|\]$/g, ''), () => socket.write(request))
  let data = ''
  let timer: NodeJS.Timeout | undefined
  const closed = new Promise<string>((resolve) => {
    socket.on('close', () => {
      clearInterval(timer)
      resolve(data)
    })
  })
  // A reset is a way of closing too; `closed` reports it.
  socket.on('error', () => {})
  const response = new Promise<RawResponse>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1')
      const head = parseHead(data)
      if (head !== undefined) resolve(head)
    })
    socket.on('close', () => reject(new Error(`connection closed before a response head; got ${JSON.stringify(data.slice(0, 200))}`)))
  })
  // Not every test awaits the response; a close before one is then no error.
  response.catch(() => {})
  return {
    socket,
    response,
    closed,
    trickle(intervalMs) {
      timer = setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write('x')
      }, intervalMs)
    },
  }
}

/**
 * One request on its own connection (Host of `baseUrl` unless given; a header
 * given as undefined is not sent), with `Connection: close`, answered in full.
 */
export async function rawRequest(baseUrl: string, requestLine: string, headers: Readonly<Record<string, string | undefined>> = {}): Promise<RawResponse> {
  const head = Object.entries({ Host: new URL(baseUrl).host, Connection: 'close', ...headers })
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}: ${value}\r\n`).join('')
  const connection = openRaw(baseUrl, `${requestLine}\r\n${head}\r\n`)
  const data = await connection.closed
  const response = parseHead(data)
  if (response === undefined) throw new Error(`no response to ${requestLine}: ${JSON.stringify(data.slice(0, 200))}`)
  return response
}

/** Rejects when `promise` has not settled within `ms`, naming what did not happen. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)
  })
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer))
}
