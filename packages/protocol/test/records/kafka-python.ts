// Runs Debian's /usr/bin/python3 (kafka-python 2.0.2, python3-lz4, -snappy, -zstandard) as a
// child process: the tests' second, independent implementation of the batch format and the
// codecs. A script reads one JSON value on stdin and prints one JSON value; bytes travel as hex.
import { spawnSync } from 'node:child_process'

const PYTHON = '/usr/bin/python3'

function probe(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import kafka, lz4.frame, snappy, zstandard'], { encoding: 'utf8' })
  if (r.error) return `${PYTHON} is not runnable: ${r.error.message}`
  if (r.status !== 0) return `${PYTHON} lacks kafka-python or a codec: ${r.stderr.trim().split('\n').pop()}`
  return undefined
}

/** Why the cross-implementation tests cannot run here, or undefined when they can. */
export const pythonUnavailable: string | undefined = probe()

export function runPython<T>(script: string, input: unknown): T {
  const r = spawnSync(PYTHON, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  })
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}
