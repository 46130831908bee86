import { WORKER_SEMI_SPACE_MIB, workerExecArgv } from '../../src/server/worker-options'

describe('workerExecArgv', () => {
  const ours = `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`

  it("adds the worker's young-generation size to the primary's own flags", () => {
    expect(workerExecArgv(['--enable-source-maps'], undefined)).toEqual(['--enable-source-maps', ours])
  })

  it("keeps the operator's choice from the command line or NODE_OPTIONS (either spelling)", () => {
    expect(workerExecArgv(['--max-semi-space-size=16'], undefined)).toEqual(['--max-semi-space-size=16'])
    expect(workerExecArgv([], '--require x.js --max_semi_space_size=32')).toEqual([])
  })
})
