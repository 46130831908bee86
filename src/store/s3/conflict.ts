/**
 * A bucket has no folders, only keys; the file store cannot hold a file
 * where a folder is, nor a file below a file. The S3 store refuses the same
 * uploads, so both stores answer 409 to the same requests and a bucket's
 * content can always be copied into a folder (`aws s3 sync`, a backup).
 * Checked right before the commit; another host may still create a clashing
 * key in between (S3 has no condition on other keys).
 */
import { CrossportError } from '../../http/errors'
import { failureOf, type S3Client } from './client'
import type { KeyMap } from './objects'

/** Rejects with ASSET_PATH_CONFLICT when `path` is a folder (keys below it) or one of its folders is an object. */
export async function refusePathConflicts(client: S3Client, keys: KeyMap, path: string): Promise<void> {
  const segments = path.slice(1).split('/')
  const ancestors = segments.slice(0, -1).map((_, i) => keys.prefix + segments.slice(0, i + 1).join('/'))
  const [below, ...heads] = await Promise.all([
    client.expectOk({ method: 'GET', key: '', query: { 'list-type': '2', prefix: keys.keyFor(path) + '/', 'max-keys': '1' } }),
    ...ancestors.map((key) => client.call({ method: 'HEAD', key })),
  ])
  const failed = heads.find((answer) => answer.status >= 500)
  if (failed !== undefined) throw failureOf(failed.status, failed.body)
  const isFolder = /<KeyCount>[1-9]/.test(below.body) || below.body.includes('<Contents>')
  const fileAbove = heads.findIndex((answer) => answer.status === 200)
  if (!isFolder && fileAbove === -1) return
  const what = isFolder ? 'an existing folder' : `the file /${segments.slice(0, fileAbove + 1).join('/')}`
  throw new CrossportError('ASSET_PATH_CONFLICT', `${path} collides with ${what} of the same name`)
}
