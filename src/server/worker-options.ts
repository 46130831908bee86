/**
 * How the cluster primary starts its workers. A worker serves only the public
 * side, whose garbage is almost all per-request and short-lived, so a small
 * young generation holds it: V8 grows each semi-space up to 16 MiB under load
 * (on 64-bit), which is about 20 MiB more resident memory per worker for no
 * measurable gain in CPU per request on small files. 4 MiB keeps that cost
 * down; at 1 MiB the scavenges cost ~20% more CPU per request.
 */
export const WORKER_SEMI_SPACE_MIB = 4

const SEMI_SPACE_FLAG = /--max[-_]semi[-_]space[-_]size/

/**
 * The primary's own Node flags plus the worker's young-generation size, unless
 * the operator chose one (in the command line or NODE_OPTIONS): theirs wins.
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  const chosen = execArgv.some((arg) => SEMI_SPACE_FLAG.test(arg)) || SEMI_SPACE_FLAG.test(nodeOptions ?? '')
  return chosen ? [...execArgv] : [...execArgv, `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`]
}
