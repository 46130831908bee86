import type { ChildProcess } from 'node:child_process'

/** The part of a passed socket handle we need: Node's own code closes it the same way. */
interface ClosableHandle {
  close(): void
}

/** What Node's primary sends with a connection: `{ cmd: 'NODE_CLUSTER', act: 'newconn', key, seq }`. */
const handoffSeq = (message: unknown): number | undefined => {
  if (typeof message !== 'object' || message === null) return undefined
  const m = message as { cmd?: unknown; act?: unknown; seq?: unknown }
  return m.cmd === 'NODE_CLUSTER' && m.act === 'newconn' && typeof m.seq === 'number' ? m.seq : undefined
}

/** The worker's answer to one: `{ cmd: 'NODE_CLUSTER', ack: seq, accepted }`. */
const ackSeq = (message: unknown): number | undefined => {
  if (typeof message !== 'object' || message === null) return undefined
  const m = message as { cmd?: unknown; ack?: unknown }
  return m.cmd === 'NODE_CLUSTER' && typeof m.ack === 'number' ? m.ack : undefined
}

const isClosable = (handle: unknown): handle is ClosableHandle =>
  typeof handle === 'object' && handle !== null && typeof (handle as { close?: unknown }).close === 'function'

/**
 * In round-robin scheduling (Node's default except on Windows) the primary
 * accepts each connection and passes it to a worker over IPC, keeping its own
 * copy of the socket until the worker acknowledges it. A worker killed before
 * acknowledging (SIGKILL, the OOM killer, a watchdog ending a blocked event
 * loop) never does, and Node never closes that copy: the client then waits
 * forever on a connection nobody reads. Watching one worker's hand-offs, this
 * closes the ones it never acknowledged once it is gone, so their
 * clients see the connection end. No byte was read from them, so a client may
 * safely retry.
 *
 * It reads Node's internal cluster messages (stable since Node 0.12). Should
 * they change, nothing is tracked and Node's own behaviour applies unchanged.
 *
 * @param onClosed called with how many connections were closed, when any were.
 */
export function closeUnacceptedConnections(child: ChildProcess, onClosed: (count: number) => void): void {
  const unaccepted = new Map<number, ClosableHandle>()
  const send = child.send
  const tracked = function (this: ChildProcess, ...args: unknown[]): boolean {
    const seq = handoffSeq(args[0])
    if (seq !== undefined && isClosable(args[1])) unaccepted.set(seq, args[1])
    return Reflect.apply(send, this, args) as boolean
  }
  child.send = tracked as ChildProcess['send']
  child.on('internalMessage', (message: unknown) => {
    const seq = ackSeq(message)
    // Accepted or refused, the handle is Node's again (closed, or passed to another worker).
    if (seq !== undefined) unaccepted.delete(seq)
  })
  // 'close' means the process has exited and its IPC channel has been read to
  // the end, so every acknowledgement it sent has been seen. ('disconnect'
  // would not do: Node holds it back while a passed handle awaits its receipt.)
  child.once('close', () => {
    for (const handle of unaccepted.values()) handle.close()
    if (unaccepted.size > 0) onClosed(unaccepted.size)
    unaccepted.clear()
  })
}
