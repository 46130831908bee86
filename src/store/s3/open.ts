/**
 * The S3 store as configured, checked before anything is served: a missing
 * bucket, wrong keys or an endpoint that does not answer stop start-up with
 * one line naming the setting to fix and what the endpoint said.
 */
import type { S3Settings } from '../../config/s3-settings'
import { S3AssetStore } from './s3-store'

export async function openS3Store(settings: S3Settings): Promise<S3AssetStore> {
  const store = new S3AssetStore(settings)
  const where = settings.endpoint ?? `AWS S3 (${settings.region})`
  const { status, detail } = await store.checkBucket()
  if (status === 200) return store
  store.close()
  const setting =
    status === 404 ? `S3_BUCKET=${settings.bucket}` : status === 403 || status === 400 ? `S3_ACCESS_KEY_ID=${settings.accessKeyId} / S3_SECRET_ACCESS_KEY` : `S3_ENDPOINT=${where}`
  throw new Error(`${setting}: the bucket check (HEAD /${settings.bucket}) at ${where} answered ${detail}`)
}
