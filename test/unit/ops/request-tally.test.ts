import { RequestTally } from '../../../src/ops/request-tally'
import { requestRecord } from '../../helpers/records'

const record = requestRecord

describe('RequestTally', () => {
  it('counts requests per status class, CORS outcome and preflight flag, leaving unseen cells out', () => {
    const tally = new RequestTally([0.001, 0.01])
    tally.record(record())
    tally.record(record({ status: 206 }))
    tally.record(record({ method: 'OPTIONS', status: 204, isPreflight: true }))
    tally.record(record({ status: 403, cors: 'refused', isPreflight: true }))
    tally.record(record({ status: 304, cors: 'none' }))
    expect(tally.requestCounts()).toEqual([
      { statusClass: '2xx', cors: 'allowed', isPreflight: false, count: 2 },
      { statusClass: '2xx', cors: 'allowed', isPreflight: true, count: 1 },
      { statusClass: '3xx', cors: 'none', isPreflight: false, count: 1 },
      { statusClass: '4xx', cors: 'refused', isPreflight: true, count: 1 },
    ])
    expect(tally.preflightCounts()).toEqual([
      { cors: 'allowed', count: 1 },
      { cors: 'refused', count: 1 },
    ])
  })

  it('sums bytes and aborted responses, and counts refusals per folder', () => {
    const tally = new RequestTally([1])
    tally.record(record({ bytes: 1000 }))
    tally.record(record({ bytes: 24, aborted: true }))
    tally.record(record({ cors: 'refused', folder: '/brand/', bytes: 0 }))
    tally.record(record({ cors: 'refused', folder: undefined, bytes: 0 }))
    expect(tally.bytesSent).toBe(1024)
    expect(tally.aborted).toBe(1)
    expect([...tally.refusedByFolder()]).toEqual([
      ['/brand/', 1],
      ['none', 1],
    ])
  })

  it('puts each duration in the first bucket whose upper bound it does not exceed, reported cumulatively', () => {
    const tally = new RequestTally([0.001, 0.01, 0.1])
    for (const ms of [0.5, 1, 5, 10, 50, 5000]) tally.record(record({ durationMs: ms }))
    tally.record(record({ status: 500, durationMs: 0.2 }))
    const [ok, failed] = tally.latency()
    // 1 ms is exactly on the first bound (le="0.001" includes it); 5 s lands only in +Inf.
    expect(ok).toEqual({ statusClass: '2xx', cumulative: [2, 4, 5], count: 6, sumSeconds: expect.closeTo(5.0665, 6) })
    expect(failed).toEqual({ statusClass: '5xx', cumulative: [1, 1, 1], count: 1, sumSeconds: expect.closeTo(0.0002, 6) })
  })
})
