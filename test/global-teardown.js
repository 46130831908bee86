// Stops the engines test/global-setup.js started for the whole run.
'use strict'

module.exports = async function globalTeardown() {
  await globalThis.__crossportPg?.stop()
}
