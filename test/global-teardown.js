// Stops the engines test/global-setup.js started for the whole run.
'use strict'

module.exports = async function globalTeardown() {
  await Promise.all([globalThis.__crossportRgw?.stop(), globalThis.__crossportPg?.stop()])
}
