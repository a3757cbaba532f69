// The topic catalog persisted as <dataDir>/__cluster/topics.json, replaced atomically (temp
// file, fsync, rename, fsync the directory) on every change. Concurrent changes share one
// write: each write takes the state at the moment it starts (group commit).
import { join } from 'node:path'
import { StorageError, StorageErrorCode } from './errors.ts'
import { readWholeFile, writeFileAtomic } from './file-helpers.ts'
import { CLUSTER_DIR, TOPICS_FILE, topicNameProblem } from './file-names.ts'
import { type FileSystem, nodeFileSystem } from './file-system.ts'
import { GroupCommit } from './group-commit.ts'
import { MemoryTopicCatalog, type TopicRecord } from './topic-catalog.ts'

const VERSION = 1
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

interface CatalogFile {
  version: number
  topics: TopicRecord[]
}

function parseCatalog(path: string, bytes: Buffer): TopicRecord[] {
  const bad = (why: string) => new StorageError(StorageErrorCode.corruptFile, `${path}: ${why}`)
  let parsed: CatalogFile
  try {
    parsed = JSON.parse(bytes.toString('utf8')) as CatalogFile
  } catch (error) {
    throw new StorageError(StorageErrorCode.corruptFile, `${path}: not JSON`, { cause: error })
  }
  if (parsed?.version !== VERSION || !Array.isArray(parsed.topics)) throw bad(`unsupported version`)
  return parsed.topics.map((t, i) => {
    if (typeof t?.name !== 'string' || topicNameProblem(t.name) !== undefined)
      throw bad(`topic ${i}: bad name`)
    if (typeof t.topicId !== 'string' || !UUID.test(t.topicId)) throw bad(`topic ${t.name}: bad topicId`)
    if (!Number.isInteger(t.partitions) || t.partitions < 1) throw bad(`topic ${t.name}: bad partition count`)
    const configs = t.configs ?? {}
    if (typeof configs !== 'object' || Object.values(configs).some((v) => typeof v !== 'string'))
      throw bad(`topic ${t.name}: bad configs`)
    return Object.freeze({
      name: t.name,
      topicId: t.topicId.toLowerCase(),
      partitions: t.partitions,
      configs: Object.freeze({ ...configs }),
    })
  })
}

export class DiskTopicCatalog extends MemoryTopicCatalog {
  readonly path: string
  private readonly fs: FileSystem
  private readonly writer: GroupCommit
  /** The data directory whose entry for __cluster must be synced once, when __cluster was just made. */
  private unsyncedParent: string | undefined

  private constructor(
    fs: FileSystem,
    path: string,
    topics: TopicRecord[],
    unsyncedParent: string | undefined,
  ) {
    super(topics)
    this.fs = fs
    this.path = path
    this.unsyncedParent = unsyncedParent
    this.writer = new GroupCommit(() => this.write())
  }

  /** Loads `<dataDir>/__cluster/topics.json` (an empty catalog when it does not exist yet). */
  static open(dataDir: string, fs: FileSystem = nodeFileSystem): DiskTopicCatalog {
    const dir = join(dataDir, CLUSTER_DIR)
    const created = fs.stat(dir) === undefined
    if (created) fs.mkdir(dir)
    const path = join(dir, TOPICS_FILE)
    const bytes = readWholeFile(fs, path)
    const topics = bytes === undefined ? [] : parseCatalog(path, bytes)
    return new DiskTopicCatalog(fs, path, topics, created ? dataDir : undefined)
  }

  protected override persist(): Promise<void> {
    this.writer.markDirty()
    return this.writer.request()
  }

  private async write(): Promise<void> {
    const body: CatalogFile = {
      version: VERSION,
      topics: [...this.list()].sort((a, b) => a.name.localeCompare(b.name)),
    }
    await writeFileAtomic(this.fs, this.path, Buffer.from(JSON.stringify(body, null, 2) + '\n', 'utf8'))
    if (this.unsyncedParent !== undefined) {
      await this.fs.syncDir(this.unsyncedParent)
      this.unsyncedParent = undefined
    }
  }
}

export const openDiskTopicCatalog = (dataDir: string, fs?: FileSystem): DiskTopicCatalog =>
  DiskTopicCatalog.open(dataDir, fs)
