// One private PostgreSQL server for the whole jest run (scripts/start-postgres.js):
// suites each make their own database on it (test/helpers/postgres.ts), so
// the server starts once, not once per suite.
'use strict'
const { startPostgres } = require('../../scripts/start-postgres.js')

/** @returns {Promise<{env: Record<string, string>, stop(): Promise<void>}>} env: CROSSPORT_TEST_PG_URL, the superuser URL. */
async function start() {
  const pg = await startPostgres()
  return { env: { CROSSPORT_TEST_PG_URL: pg.url }, stop: pg.stop }
}

module.exports = { start }
