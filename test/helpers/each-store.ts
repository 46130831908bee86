/**
 * One suite, both asset stores: `describeEachStore` runs its body once with
 * the file store (a temp ASSETS_DIR) and once with ASSET_STORE=s3 on a fresh
 * bucket of the run's Ceph RADOS Gateway (test/helpers/rgw.ts). Fixtures go
 * in with `putFixture`, which writes the file or PUTs the object the way
 * another tool would, so the suites assert the same wire on both.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { formatEtag } from '../../src/http/etag'
import { xmlElements, xmlValue } from '../../src/store/s3/objects'
import { startTestCrossport, type StartOptions, type TestCrossport } from './crossport'
import { useSuiteBucket, type SuiteBucket } from './rgw'

export type StoreKind = 'fs' | 's3'

/** A Crossport on one of the stores, with its fixtures written into that store. */
export interface StoreCrossport extends TestCrossport {
  readonly storeKind: StoreKind
  /** Puts bytes at `path` (`css/site.css`, no leading slash) into the store, bypassing the admin API. */
  putFixture(path: string, bytes: string | Buffer): Promise<void>
  /** Removes what is at `path` from the store, bypassing the admin API. */
  removeFixture(path: string): Promise<void>
  /** The bytes at `path` as the store holds them, or undefined when there are none. */
  readFixture(path: string): Promise<Buffer | undefined>
  /** The ETag and modified time the store gives `path` (stat, or HEAD), as the admin API should report them. */
  statFixture(path: string): Promise<{ etag: string; modifiedAt: string }>
  /** The names directly in `folder` (`del`, no slashes around). */
  listFixtures(folder: string): Promise<string[]>
  /** What an upload in progress leaves in the store: temp files, or pending multipart uploads. */
  uploadDebris(): Promise<string[]>
}

export interface StoreUnderTest {
  readonly kind: StoreKind
  /** Starts Crossport on this store (a store of its own each time) with `options.assets` put in first. */
  start(options?: StartOptions): Promise<StoreCrossport>
}

function fileStore(): StoreUnderTest {
  return {
    kind: 'fs',
    async start(options = {}) {
      const cp = await startTestCrossport(options)
      return {
        ...cp,
        storeKind: 'fs',
        putFixture: async (path, bytes) => {
          // Atomic, as an upload is (and a PUT into a bucket): a new inode under the old name.
          const full = join(cp.assetsDir, path)
          const temp = join(dirname(full), `.${basename(full)}.tmp`)
          mkdirSync(dirname(full), { recursive: true })
          writeFileSync(temp, bytes)
          renameSync(temp, full)
        },
        removeFixture: async (path) => unlinkSync(join(cp.assetsDir, path)),
        readFixture: async (path) => (existsSync(join(cp.assetsDir, path)) ? readFileSync(join(cp.assetsDir, path)) : undefined),
        statFixture: async (path) => {
          const stats = statSync(join(cp.assetsDir, path))
          return { etag: formatEtag(stats.size, stats.mtimeMs), modifiedAt: new Date(stats.mtimeMs).toISOString() }
        },
        listFixtures: async (folder) => readdirSync(join(cp.assetsDir, folder)),
        uploadDebris: async () => {
          const temp = join(cp.assetsDir, '.crossport-tmp')
          return existsSync(temp) ? readdirSync(temp) : []
        },
      }
    },
  }
}

function objectStore(bucket: () => SuiteBucket): StoreUnderTest {
  let stores = 0
  return {
    kind: 's3',
    async start(options = {}) {
      const suite = bucket()
      const prefix = `store-${++stores}/`
      const putFixture = async (path: string, bytes: string | Buffer) => {
        await suite.client.expectOk({ method: 'PUT', key: prefix + path, body: Buffer.from(bytes) })
      }
      // In the bucket before the server starts, as files are in the folder.
      for (const [path, bytes] of Object.entries(options.assets ?? {})) await putFixture(path, bytes)
      const cp = await startTestCrossport({ env: { ...suite.env(prefix), ...options.env } })
      return {
        ...cp,
        storeKind: 's3',
        putFixture,
        removeFixture: async (path) => {
          await suite.client.expectOk({ method: 'DELETE', key: prefix + path })
        },
        readFixture: async (path) => {
          const { status, bytes } = await suite.client.call({ method: 'GET', key: prefix + path })
          return status === 200 ? bytes : undefined
        },
        statFixture: async (path) => {
          const { headers } = await suite.client.expectOk({ method: 'HEAD', key: prefix + path })
          return { etag: headers.etag ?? '', modifiedAt: new Date(Date.parse(headers['last-modified'] ?? '')).toISOString() }
        },
        listFixtures: async (folder) => {
          const query = { 'list-type': '2', prefix: `${prefix}${folder}/`, delimiter: '/' }
          const { body } = await suite.client.expectOk({ method: 'GET', key: '', query })
          return xmlElements(body, 'Contents').map((raw) => (xmlValue(raw, 'Key') ?? '').slice(query.prefix.length))
        },
        uploadDebris: async () => {
          const { body } = await suite.client.expectOk({ method: 'GET', key: '', query: { uploads: '', prefix } })
          return xmlElements(body, 'Upload').map((raw) => xmlValue(raw, 'Key') ?? '')
        },
      }
    },
  }
}

/** `describe(name + ' (fs)')` and `describe(name + ' (s3)')`, the same body for both. */
export function describeEachStore(name: string, body: (store: StoreUnderTest) => void): void {
  describe(`${name} (file store)`, () => body(fileStore()))
  describe(`${name} (S3 store on Ceph RGW)`, () => {
    const bucket = useSuiteBucket()
    body(objectStore(bucket))
  })
}
