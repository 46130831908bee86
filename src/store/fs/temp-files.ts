/**
 * Upload temp files: their names say which process wrote them, so a sweep can
 * tell a live upload's file from one a crashed (`kill -9`) process left
 * behind. Pure: the caller supplies the clock, the directory listing and the
 * liveness of processes.
 */
import { createHash, randomUUID } from 'node:crypto'
import { hostname } from 'node:os'

/** Who writes a temp file: this host (hashed, so the name stays short and portable) and a process id. */
export interface TempOwner {
  readonly host: string
  readonly pid: number
}

const HOST_HASH_CHARS = 12
const TEMP_NAME = /^([0-9a-f]{12})\.([0-9]{1,10})\.[0-9a-f-]{36}\.part$/

export function localOwner(pid: number = process.pid): TempOwner {
  return { host: createHash('sha256').update(hostname()).digest('hex').slice(0, HOST_HASH_CHARS), pid }
}

/** `<host hash>.<pid>.<uuid>.part` */
export function tempFileName(owner: TempOwner): string {
  return `${owner.host}.${owner.pid}.${randomUUID()}.part`
}

/** The owner a temp file's name records; undefined for names this scheme did not make (older versions). */
export function parseTempFileName(name: string): TempOwner | undefined {
  const match = TEMP_NAME.exec(name)
  if (match === null) return undefined
  return { host: match[1] as string, pid: Number(match[2]) }
}

export interface SweepFacts {
  /** The process running the sweep. */
  readonly self: TempOwner
  /** Whether an upload in this process still writes or commits the file. */
  readonly isLive: (name: string) => boolean
  /** Whether a process of this host with that id runs. */
  readonly isProcessAlive: (pid: number) => boolean
  /** Files written more recently than this are left alone, whoever wrote them. */
  readonly graceMs: number
  /** Files untouched for this long are removed, whoever wrote them. */
  readonly staleMs: number
}

/**
 * Whether a temp file is an orphan to remove: no live upload owns it.
 *
 * The grace period covers what the name cannot prove: another process
 * sharing this host name from its own pid namespace (containers on one
 * volume). Another host's files can only be judged by age.
 */
export function isOrphanedTemp(name: string, ageMs: number, facts: SweepFacts): boolean {
  if (facts.isLive(name) || ageMs < facts.graceMs) return false
  if (ageMs >= facts.staleMs) return true
  const owner = parseTempFileName(name)
  if (owner === undefined || owner.host !== facts.self.host) return false
  // Our own pid but no live upload of ours: an earlier process had this pid
  // (a restarted container is pid 1 again).
  if (owner.pid === facts.self.pid) return true
  return !facts.isProcessAlive(owner.pid)
}

/** `kill(pid, 0)`: EPERM means the process exists but belongs to another user. */
export function isProcessAlive(pid: number): boolean {
  // kill(0, …) would signal our own process group.
  if (!(pid > 0)) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
