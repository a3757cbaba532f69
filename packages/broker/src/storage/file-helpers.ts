// Whole-file helpers over the FileSystem seam: small files (checkpoints, the topic catalog)
// are read in one go and replaced atomically.
import { dirname } from 'node:path'
import { type FileSystem, OpenFlags } from './file-system.ts'

/**
 * Reads `length` bytes at `position` into a new buffer (shorter only at end of file), from
 * `allocate` when given (pooled memory a fetch holds until it is sent).
 */
export function readAt(
  fs: FileSystem,
  fd: number,
  position: number,
  length: number,
  allocate?: (size: number) => Buffer,
): Buffer {
  const buf = allocate ? allocate(length) : Buffer.allocUnsafe(length)
  const n = fs.read(fd, buf, 0, length, position)
  return n === length ? buf : buf.subarray(0, n)
}

/** The whole file, or undefined when it does not exist. */
export function readWholeFile(fs: FileSystem, path: string): Buffer | undefined {
  const st = fs.stat(path)
  if (st === undefined || st.isDirectory) return undefined
  const fd = fs.open(path, OpenFlags.read)
  try {
    return readAt(fs, fd, 0, fs.size(fd))
  } finally {
    fs.close(fd)
  }
}

export const TMP_SUFFIX = '.tmp'

/**
 * Replaces `path` with `data` so that after a crash the file holds either the old or the new
 * content, never a mix: write a temp file, fsync it, rename over the target, fsync the directory.
 */
export async function writeFileAtomic(fs: FileSystem, path: string, data: Uint8Array): Promise<void> {
  const tmp = path + TMP_SUFFIX
  const fd = fs.open(tmp, OpenFlags.createOrTruncate)
  try {
    fs.write(fd, data, 0)
    await fs.fsync(fd)
  } finally {
    fs.close(fd)
  }
  fs.rename(tmp, path)
  await fs.syncDir(dirname(path))
}
