// The Ceph RADOS Gateway the S3 suites share: started once per jest run by
// test/global-setup.js (about 20 s), stopped by test/global-teardown.js.
// Each suite then only makes a bucket of its own (test/helpers/rgw.ts).
'use strict'
const { startRgw } = require('../../scripts/start-rgw.js')

/**
 * Starts the cluster (scripts/start-rgw.js retries a brand-new cluster that
 * refuses its own members) and tells the suites where it is.
 * @returns {Promise<{ env: Record<string, string>, stop(): Promise<void> }>}
 */
async function start() {
  // The bucket start-rgw.js makes is only its readiness check; suites never use it.
  const rgw = await startRgw({ bucket: 'crossport-ready' })
  return {
    env: {
      CROSSPORT_TEST_S3_ENDPOINT: rgw.endpoint,
      CROSSPORT_TEST_S3_ACCESS_KEY_ID: rgw.accessKeyId,
      CROSSPORT_TEST_S3_SECRET_ACCESS_KEY: rgw.secretAccessKey,
    },
    stop: () => rgw.stop(),
  }
}

/** Files that use the shared gateway say so by importing one of these helpers. */
const USES_RGW = /helpers\/(rgw|each-store)['"]/

module.exports = { start, USES_RGW }
