// A loopback port nothing listens on: taken and released at once. Used by the
// scripts that start a real server beside a load generator or a test.
'use strict'
const { createServer } = require('node:net')

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

module.exports = { freePort }
