/**
 * The Ceph RADOS Gateway of this jest run, started once by
 * test/global-setup.js (test/engines/rgw.js); each suite that uses it gets a
 * fresh bucket of its own, removed with everything in it after the suite.
 * When the gateway could not start, the suite fails with the reason; it
 * never skips.
 */
import { randomBytes } from 'node:crypto'
import { S3Client } from '../../src/store/s3/client'
import { xmlElements, xmlValue } from '../../src/store/s3/objects'
import type { S3AssetStoreOptions } from '../../src/store/s3/s3-store'

export interface SuiteBucket {
  readonly endpoint: string
  readonly bucket: string
  readonly accessKeyId: string
  readonly secretAccessKey: string
  /** A client on the bucket, as another tool writing into it would be. */
  readonly client: S3Client
  /** Store options on this bucket under `prefix`. */
  storeOptions(prefix: string, changes?: Partial<S3AssetStoreOptions>): S3AssetStoreOptions
  /** The environment of a Crossport on this bucket under `prefix` (ASSET_STORE=s3 and S3_*). */
  env(prefix: string): Record<string, string>
}

/** Where the shared gateway is, or why it is not there. */
function gateway(): { endpoint: string; accessKeyId: string; secretAccessKey: string } {
  const { CROSSPORT_TEST_S3_ENDPOINT: endpoint, CROSSPORT_TEST_S3_ACCESS_KEY_ID: accessKeyId, CROSSPORT_TEST_S3_SECRET_ACCESS_KEY: secretAccessKey } = process.env
  if (process.env.CROSSPORT_TEST_S3_ERROR !== undefined) throw new Error(process.env.CROSSPORT_TEST_S3_ERROR)
  if (endpoint === undefined || accessKeyId === undefined || secretAccessKey === undefined) {
    throw new Error('No Ceph RADOS Gateway: test/global-setup.js starts one (scripts/start-rgw.js, installed by scripts/ensure-ceph.sh) when a selected suite imports test/helpers/rgw')
  }
  return { endpoint, accessKeyId, secretAccessKey }
}

/** Deletes every object and pending upload in the bucket, then the bucket. */
async function removeBucket(client: S3Client): Promise<void> {
  for (;;) {
    const { body } = await client.expectOk({ method: 'GET', key: '', query: { 'list-type': '2', 'max-keys': '1000' } })
    const keys = xmlElements(body, 'Contents').map((raw) => xmlValue(raw, 'Key') ?? '')
    if (keys.length === 0) break
    await Promise.all(keys.map((key) => client.expectOk({ method: 'DELETE', key })))
  }
  const { body } = await client.expectOk({ method: 'GET', key: '', query: { uploads: '' } })
  for (const raw of xmlElements(body, 'Upload')) {
    await client.call({ method: 'DELETE', key: xmlValue(raw, 'Key') ?? '', query: { uploadId: xmlValue(raw, 'UploadId') ?? '' } })
  }
  await client.expectOk({ method: 'DELETE', key: '' })
}

/**
 * Registers beforeAll/afterAll that make this suite's bucket and remove it.
 * @returns the bucket, readable once beforeAll ran.
 */
export function useSuiteBucket(): () => SuiteBucket {
  let suite: SuiteBucket | undefined
  beforeAll(async () => {
    const { endpoint, accessKeyId, secretAccessKey } = gateway()
    const bucket = `suite-${randomBytes(6).toString('hex')}`
    const base = { endpoint, bucket, region: 'us-east-1', accessKeyId, secretAccessKey, forcePathStyle: true, timeoutMs: 10_000 }
    const client = new S3Client(base)
    await client.expectOk({ method: 'PUT', key: '' })
    suite = {
      endpoint,
      bucket,
      accessKeyId,
      secretAccessKey,
      client,
      storeOptions: (prefix, changes = {}) => ({ ...base, prefix, ...changes }),
      env: (prefix) => ({ ASSET_STORE: 's3', S3_ENDPOINT: endpoint, S3_BUCKET: bucket, S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey, S3_PREFIX: prefix }),
    }
  })
  afterAll(async () => {
    if (suite === undefined) return
    await removeBucket(suite.client)
    suite.client.close()
  })
  return () => {
    if (suite === undefined) throw new Error('the suite bucket is made in beforeAll')
    return suite
  }
}
