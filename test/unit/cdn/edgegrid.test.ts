import { edgeGridAuthorization, edgeGridTimestamp, parseEdgeGridCredentials } from '../../../src/cdn/adapters/edgegrid'

// The published test vectors of Akamai's EdgeGrid client libraries.
const credentials = {
  clientToken: 'akab-client-token-xxx-xxxxxxxxxxxxxxxx',
  clientSecret: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=',
  accessToken: 'akab-access-token-xxx-xxxxxxxxxxxxxxxx',
}
const base = 'https://akaa-baseurl-xxxxxxxxxxx-xxxxxxxxxxxxx.luna.akamaiapis.net/'
const at = { timestamp: '20140321T19:34:21+0000', nonce: 'nonce-xx-xxxx-xxxx-xxxx-xxxxxxxxxxxx' }
const header = (signature: string) =>
  `EG1-HMAC-SHA256 client_token=${credentials.clientToken};access_token=${credentials.accessToken};timestamp=${at.timestamp};nonce=${at.nonce};signature=${signature}`

describe('edgeGridAuthorization(credentials, request, at)', () => {
  it.each([
    ['a simple GET', 'GET', '', '', 'tL+y4hxyHxgWVD30X3pWnGKHcPzmrIF+LThiAOhMxYU='],
    ['a GET with a query', 'GET', 'testapi/v1/t1?p1=1&p2=2', '', 'hKDH1UlnQySSHjvIcZpDMbQHihTQ0XyVAKZaApabdeA='],
    ['a POST with a body', 'POST', 'testapi/v1/t3', 'datadatadatadatadatadatadatadata', 'hXm4iCxtpN22m4cbZb4lVLW5rhX8Ca82vCFqXzSTPe4='],
    ['a POST with an empty body', 'POST', 'testapi/v1/t6', '', '1gEDxeQGD5GovIkJJGcBaKnZ+VaPtrc4qBUHixjsPCQ='],
  ])('signs %s as the reference clients do', (_, method, path, body, signature) => {
    expect(edgeGridAuthorization(credentials, { method, url: base + path, body }, at)).toBe(header(signature))
  })
})

describe('edgeGridTimestamp(date)', () => {
  it('is yyyyMMddTHH:mm:ss+0000 in UTC', () => {
    expect(edgeGridTimestamp(new Date(Date.UTC(2014, 2, 21, 19, 34, 21, 999)))).toBe('20140321T19:34:21+0000')
  })
})

describe('parseEdgeGridCredentials(token)', () => {
  it('reads client_token:client_secret:access_token', () => {
    expect(parseEdgeGridCredentials('a:b=:c')).toEqual({ clientToken: 'a', clientSecret: 'b=', accessToken: 'c' })
  })

  it.each(['a:b', 'a::c', 'a:b:c:d'])('refuses %s', (token) => {
    expect(parseEdgeGridCredentials(token)).toBeUndefined()
  })
})
