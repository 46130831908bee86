/** Where the CLI writes: injected so commands can be run inside tests too. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean }
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }
}

export const printJson = (io: CliIo, value: unknown): void => {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

export const printLine = (io: CliIo, line: string): void => {
  io.stdout.write(line + '\n')
}

/** A plain aligned table: upper-case headings, two spaces between columns, `-` for empty cells. */
export function printTable(io: CliIo, headings: readonly string[], rows: ReadonlyArray<readonly (string | number | undefined | null)[]>): void {
  const cells = rows.map((row) => headings.map((_, i) => oneLine(row[i])))
  const widths = headings.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] as string).length)))
  const format = (row: readonly string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd()
  io.stdout.write([format(headings.map((h) => h.toUpperCase())), ...cells.map(format)].join('\n') + '\n')
}

function oneLine(value: string | number | undefined | null): string {
  if (value === undefined || value === null || value === '') return '-'
  return String(value).replace(/[\r\n\t]+/g, ' ')
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`
}

/**
 * A one-line progress bar on stderr, redrawn in place; silent when stderr is
 * not a terminal, so logs and pipes get only the final summary.
 */
export class ProgressBar {
  private lastDrawMs = 0
  private readonly isActive: boolean

  constructor(
    private readonly io: CliIo,
    private readonly totalBytes: number,
    private readonly totalFiles: number,
  ) {
    this.isActive = io.stderr.isTTY === true && totalFiles > 0
  }

  update(doneBytes: number, doneFiles: number, current: string, force = false): void {
    if (!this.isActive) return
    const now = Date.now()
    // Redrawing on every chunk would cost more than the upload on a fast link.
    if (!force && now - this.lastDrawMs < 100) return
    this.lastDrawMs = now
    const barWidth = 24
    const ratio = this.totalBytes === 0 ? doneFiles / this.totalFiles : Math.min(1, doneBytes / this.totalBytes)
    const filled = Math.round(ratio * barWidth)
    const bar = '#'.repeat(filled) + '.'.repeat(barWidth - filled)
    const text = `[${bar}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${doneFiles}/${this.totalFiles} files  ${formatBytes(doneBytes)}/${formatBytes(this.totalBytes)}  ${current}`
    const width = this.lineWidth()
    this.io.stderr.write('\r' + text.slice(0, width).padEnd(width))
  }

  finish(): void {
    if (this.isActive) this.io.stderr.write('\r' + ' '.repeat(this.lineWidth()) + '\r')
  }

  // One less than the terminal width, so the cursor never wraps; some terminals report 0 columns.
  private lineWidth(): number {
    const columns = this.io.stderr.columns
    return (columns !== undefined && columns >= 40 ? columns : 100) - 1
  }
}
