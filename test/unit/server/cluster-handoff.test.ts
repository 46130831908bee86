import type { ChildProcess } from 'node:child_process'
import { EventEmitter } from 'node:events'
import type { Socket } from 'node:net'
import { closeUnacceptedConnections } from '../../../src/server/cluster-handoff'

/** Stands in for a worker's ChildProcess: records what was sent, as Node's IPC would carry it. */
function fakeWorker() {
  const sent: unknown[][] = []
  const child = Object.assign(new EventEmitter(), {
    send(...args: unknown[]) {
      sent.push(args)
      return true
    },
  })
  return { child, process: child as unknown as ChildProcess, sent }
}

/** What Node passes is a bare TCP handle; closing it is all the code under test does with it. */
const handle = () => ({ close: jest.fn() })
const asSendHandle = (h: ReturnType<typeof handle>) => h as unknown as Socket
const newconn = (seq: number) => ({ cmd: 'NODE_CLUSTER', act: 'newconn', key: '127.0.0.1:8080:4', seq })
const ack = (seq: number, accepted: boolean) => ({ cmd: 'NODE_CLUSTER', ack: seq, accepted })

describe('closeUnacceptedConnections(child, onClosed)', () => {
  it('closes the connections handed to a worker that never acknowledged them, once it is gone', () => {
    const worker = fakeWorker()
    const onClosed = jest.fn()
    closeUnacceptedConnections(worker.process, onClosed)
    const [taken, refused, lost] = [handle(), handle(), handle()]

    expect(worker.process.send(newconn(1), asSendHandle(taken))).toBe(true)
    worker.process.send(newconn(2), asSendHandle(refused))
    worker.process.send(newconn(3), asSendHandle(lost))
    worker.child.emit('internalMessage', ack(1, true))
    // Refused: Node passes it to another worker, so it is not ours to close.
    worker.child.emit('internalMessage', ack(2, false))
    expect(lost.close).not.toHaveBeenCalled()

    worker.child.emit('close', null, 'SIGKILL')
    expect(lost.close).toHaveBeenCalledTimes(1)
    expect(taken.close).not.toHaveBeenCalled()
    expect(refused.close).not.toHaveBeenCalled()
    expect(onClosed).toHaveBeenCalledWith(1)
  })

  it('passes every message through unchanged and reports nothing when all were taken', () => {
    const worker = fakeWorker()
    const onClosed = jest.fn()
    closeUnacceptedConnections(worker.process, onClosed)
    const relay = { type: 'crossport:policy-changed' }
    const callback = jest.fn()
    worker.process.send(relay)
    worker.process.send(newconn(7), asSendHandle(handle()), { keepOpen: false }, callback)
    worker.child.emit('internalMessage', ack(7, true))
    worker.child.emit('close', 0, null)

    expect(worker.sent).toEqual([[relay], [newconn(7), expect.anything(), { keepOpen: false }, callback]])
    expect(onClosed).not.toHaveBeenCalled()
  })
})
