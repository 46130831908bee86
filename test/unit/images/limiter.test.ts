import { CrossportError } from '../../../src/http/errors'
import { RenderLimiter } from '../../../src/images/limiter'

/** A task that runs until the test lets it finish. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { open, task: () => opened }
}

describe('RenderLimiter', () => {
  it('runs at most `concurrency` tasks at once and starts queued ones in order as slots free', async () => {
    const limiter = new RenderLimiter(2, 10)
    const started: number[] = []
    const gates = [gate(), gate(), gate(), gate()]
    const runs = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i)
        await g.task()
        return i
      }),
    )
    await Promise.resolve()
    expect(started).toEqual([0, 1])
    expect(limiter.activeCount).toBe(2)
    expect(limiter.queuedCount).toBe(2)

    gates[1]?.open()
    await runs[1]
    expect(started).toEqual([0, 1, 2])
    gates[0]?.open()
    gates[2]?.open()
    gates[3]?.open()
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3])
    expect(limiter.activeCount).toBe(0)
    expect(limiter.queuedCount).toBe(0)
  })

  it('refuses with OVERLOADED 503 and Retry-After when the queue is full', async () => {
    const limiter = new RenderLimiter(1, 1)
    const g = gate()
    const first = limiter.run(g.task)
    const second = limiter.run(async () => 'queued')
    const third = limiter.run(async () => 'never')
    await expect(third).rejects.toMatchObject({ code: 'OVERLOADED', status: 503, headers: { 'Retry-After': '1' } })
    await expect(third).rejects.toBeInstanceOf(CrossportError)
    g.open()
    await first
    expect(await second).toBe('queued')
  })

  it('frees the slot when a task fails', async () => {
    const limiter = new RenderLimiter(1, 0)
    await expect(limiter.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
    expect(await limiter.run(async () => 'next')).toBe('next')
  })

  it('with a queue limit of 0 refuses whatever finds every slot busy', async () => {
    const limiter = new RenderLimiter(1, 0)
    const g = gate()
    const first = limiter.run(g.task)
    await expect(limiter.run(async () => 'x')).rejects.toMatchObject({ status: 503 })
    g.open()
    await first
  })
})
