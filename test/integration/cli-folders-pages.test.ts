import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { FolderRepo } from '../../src/db/folder-repo'
import { DEFAULT_POLICY } from '../../src/policy/types'
import { startTestCrossport, type TestCrossport } from '../helpers/crossport'

// `crossport folders list` over more folders than one page holds.
const BIN = join(__dirname, '..', '..', 'bin', 'crossport.js')
let cp: TestCrossport

beforeAll(async () => {
  cp = await startTestCrossport()
  await cp.running.context.db.transaction(async (tx) => {
    const repo = new FolderRepo(tx)
    for (let i = 0; i < 1_050; i++) await repo.create(`/f${String(i).padStart(4, '0')}/`, { ...DEFAULT_POLICY, origins: [] })
  })
})

afterAll(async () => {
  await cp.close()
})

it('folders list follows the pages to the last folder', async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, 'folders', 'list', '--json'],
      { env: { PATH: process.env.PATH ?? '', CROSSPORT_URL: cp.adminUrl, CROSSPORT_TOKEN: cp.token }, timeout: 30_000, maxBuffer: 16 * 1024 * 1024 },
      (error, out) => (error ? reject(error) : resolve(out)),
    )
  })
  const paths = (JSON.parse(stdout) as { path: string }[]).map((f) => f.path)
  expect(paths).toHaveLength(1_051)
  expect(paths[0]).toBe('/')
  expect(paths[1_050]).toBe('/f1049/')
  expect(new Set(paths).size).toBe(1_051)
})
