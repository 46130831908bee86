import { classifyTarget } from '../../../src/server/request-target'

describe('classifyTarget(url)', () => {
  it.each(['/', '/demo/a.css', '/demo/a.css?v=1', '*', 'ftp://cdn.example/a.css', 'demo/a.css'])('leaves %j to the path rules', (url) => {
    expect(classifyTarget(url)).toEqual({ form: 'origin' })
  })

  it.each([
    ['http://cdn.example/demo/a.css', '/demo/a.css', 'cdn.example'],
    ['HTTPS://CDN.example:8443/demo/a.css?v=1&w=2', '/demo/a.css?v=1&w=2', 'CDN.example:8443'],
    ['http://127.0.0.1:8081/admin/v1/folders', '/admin/v1/folders', '127.0.0.1:8081'],
    ['http://[::1]:8081/admin/', '/admin/', '[::1]:8081'],
    ['http://cdn.example', '/', 'cdn.example'],
    ['http://cdn.example?x=1', '/?x=1', 'cdn.example'],
  ])('takes the path and query of %j verbatim and its authority as the host', (url, path, host) => {
    expect(classifyTarget(url)).toEqual({ form: 'absolute', url: path, host })
  })

  it.each([
    // Dot segments and encodings stay as sent: parseSafePath refuses them as it does in origin form.
    ['http://cdn.example/demo/../etc/passwd', '/demo/../etc/passwd'],
    ['http://cdn.example/demo/%2e%2e/%2e%2e/etc/passwd', '/demo/%2e%2e/%2e%2e/etc/passwd'],
    ['http://cdn.example//etc/passwd', '//etc/passwd'],
  ])('never resolves or decodes the path of %j', (url, path) => {
    expect(classifyTarget(url)).toMatchObject({ form: 'absolute', url: path })
  })

  it.each(['http:///a.css', 'http://user:pw@cdn.example/a.css', 'http://cdn.example#frag', 'http://cdn example/a.css', 'http://cdn.example:80x/a.css'])(
    'refuses %j as malformed',
    (url) => {
      expect(classifyTarget(url).form).toBe('invalid')
    },
  )
})
