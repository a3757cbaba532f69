// A file system whose calls fail with a chosen errno, the way node:fs fails them (an Error with a
// `code`), for the tests of what each kind of failure does (failure-classes.test.ts). A rule names
// the call, optionally a path pattern, the errno and how many calls it fails; a failing write can
// land part of its bytes first, as a write to a full disk does.
import type { FileSystem } from '../../src/storage/file-system.ts'

type Call = keyof FileSystem

export interface FailureRule {
  readonly call: Call
  readonly errno: string
  /** Only calls on a path (or a descriptor opened on a path) matching this. */
  readonly path?: RegExp
  /** How many matching calls fail (default 1). */
  times?: number
  /** For write: bytes that land before the error (default 0). */
  readonly partial?: number
}

export function errnoError(errno: string, call: string): Error {
  return Object.assign(new Error(`${errno}: injected ${call} failure`), { code: errno, syscall: call })
}

export class ErrnoFileSystem implements FileSystem {
  private readonly rules: FailureRule[] = []
  private readonly paths = new Map<number, string>()
  /** Calls failed so far, by call. */
  readonly failed: Partial<Record<Call, number>> = {}

  constructor(private readonly inner: FileSystem) {}

  failNext(rule: FailureRule): this {
    this.rules.push({ times: 1, ...rule })
    return this
  }

  clear(): void {
    this.rules.length = 0
  }

  private match(call: Call, path: string | undefined): FailureRule | undefined {
    const rule = this.rules.find(
      (r) =>
        r.call === call &&
        (r.times ?? 1) > 0 &&
        (r.path === undefined || (path !== undefined && r.path.test(path))),
    )
    if (rule === undefined) return undefined
    rule.times = (rule.times ?? 1) - 1
    this.failed[call] = (this.failed[call] ?? 0) + 1
    return rule
  }

  private check(call: Call, path: string | undefined): void {
    const rule = this.match(call, path)
    if (rule) throw errnoError(rule.errno, call)
  }

  open: FileSystem['open'] = (path, flags) => {
    this.check('open', path)
    const fd = this.inner.open(path, flags)
    this.paths.set(fd, path)
    return fd
  }
  close: FileSystem['close'] = (fd) => {
    this.paths.delete(fd)
    this.inner.close(fd)
  }
  read: FileSystem['read'] = (fd, into, offset, length, position) => {
    this.check('read', this.paths.get(fd))
    return this.inner.read(fd, into, offset, length, position)
  }
  write: FileSystem['write'] = (fd, data, position) => {
    const rule = this.match('write', this.paths.get(fd))
    if (rule) {
      const landed = Math.min(rule.partial ?? 0, data.length)
      if (landed > 0) this.inner.write(fd, data.subarray(0, landed), position)
      throw errnoError(rule.errno, 'write')
    }
    this.inner.write(fd, data, position)
  }
  size: FileSystem['size'] = (fd) => this.inner.size(fd)
  truncate: FileSystem['truncate'] = (fd, length) => {
    this.check('truncate', this.paths.get(fd))
    this.inner.truncate(fd, length)
  }
  fsync: FileSystem['fsync'] = async (fd) => {
    this.check('fsync', this.paths.get(fd))
    await this.inner.fsync(fd)
  }
  syncDir: FileSystem['syncDir'] = async (path) => {
    this.check('syncDir', path)
    await this.inner.syncDir(path)
  }
  mkdir: FileSystem['mkdir'] = (path) => {
    this.check('mkdir', path)
    this.inner.mkdir(path)
  }
  readdir: FileSystem['readdir'] = (path) => this.inner.readdir(path)
  stat: FileSystem['stat'] = (path) => this.inner.stat(path)
  rename: FileSystem['rename'] = (from, to) => {
    this.check('rename', from)
    this.inner.rename(from, to)
  }
  unlink: FileSystem['unlink'] = (path) => {
    this.check('unlink', path)
    this.inner.unlink(path)
  }
  removeTree: FileSystem['removeTree'] = (path) => this.inner.removeTree(path)
}
