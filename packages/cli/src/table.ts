// Plain-text tables, as kafka-topics and rpk print them: an upper-case header, columns padded
// with two spaces, no borders, no trailing spaces. Cells are strings; callers format numbers.

export type Cell = string | number | bigint | null | undefined

function text(cell: Cell): string {
  return cell === null || cell === undefined || cell === '' ? '-' : String(cell)
}

/** Renders rows under a header; every line ends with a newline. */
export function table(header: string[], rows: Cell[][]): string {
  const cells = [header.map((h) => h.toUpperCase()), ...rows.map((row) => row.map(text))]
  const widths = header.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)))
  return cells
    .map(
      (row) =>
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i])))
          .join('  ')
          .trimEnd() + '\n',
    )
    .join('')
}

/** Two columns of label and value, for a single object (`topic describe`'s summary). */
export function keyValues(pairs: [string, Cell][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length))
  return pairs.map(([k, v]) => `${k.toUpperCase().padEnd(width)}  ${text(v)}`.trimEnd() + '\n').join('')
}
