// Names on disk, Kafka's layout:
//   <dataDir>/<topic>-<partition>/<20-digit base offset>.log | .index | .timeindex
//   <dataDir>/<topic>-<partition>/log-offsets.checkpoint      (logStartOffset, recovery point)
//   <dataDir>/<topic>-<partition>.<hex>-delete/               (deleted topic, removed in the background)
//   <dataDir>/__cluster/topics.json                            (topic catalog)
//   <dataDir>/.runnel-clean-shutdown                           (written last by a clean close)
//   <dataDir>/<topic>-<partition>/<base>.log.cleaned           (the log cleaner's output being written)
//   <dataDir>/<topic>-<partition>/<base>.log.swap              (a cleaned segment committed, being swapped in)
// Reserved for what comes next (not written yet): `.txnindex` (aborted transactions), `.snapshot`
// (producer state). A segment's files share its base-offset prefix, so deleting "every file of a
// segment" already covers suffixes added later.
import { join } from 'node:path'

export const SegmentFile = {
  log: '.log',
  offsetIndex: '.index',
  timeIndex: '.timeindex',
  /** The cleaner writes a replacement segment here; recovery deletes it (the swap never began). */
  cleaned: '.log.cleaned',
  /**
   * A cleaned, fsynced replacement for the segments with base offsets from its own up to its next
   * offset; recovery finishes the swap (deletes those segments, renames it to `.log`).
   */
  swap: '.log.swap',
} as const

export const CHECKPOINT_FILE = 'log-offsets.checkpoint'
export const CLEAN_SHUTDOWN_FILE = '.runnel-clean-shutdown'
export const CLUSTER_DIR = '__cluster'
export const TOPICS_FILE = 'topics.json'
export const DELETE_DIR_SUFFIX = '-delete'

/** Kafka's rule for topic names (they become directory names, so this is also a path guard). */
export function topicNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'topic name is empty'
  if (name.length > 249) return 'topic name is longer than 249 characters'
  if (name === '.' || name === '..') return `topic name cannot be '${name}'`
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) return 'topic name may contain only ASCII letters, digits, ., _ and -'
  return undefined
}

export const offsetFileStem = (baseOffset: number): string => String(baseOffset).padStart(20, '0')

export const segmentFileName = (baseOffset: number, suffix: string): string =>
  offsetFileStem(baseOffset) + suffix

export const partitionDirName = (topic: string, partition: number): string => `${topic}-${partition}`

export const partitionDir = (dataDir: string, topic: string, partition: number): string =>
  join(dataDir, partitionDirName(topic, partition))

/** Parses `<topic>-<partition>`; undefined for any other directory name. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | undefined {
  const m = /^(.+)-(0|[1-9][0-9]{0,9})$/.exec(name)
  if (m === null) return undefined
  const topic = m[1]
  const partition = Number(m[2])
  if (topicNameProblem(topic) !== undefined || partition > 0x7fffffff) return undefined
  return { topic, partition }
}

/** Parses `<20 digits><suffix>`; undefined for other names. */
export function parseSegmentFileName(name: string): { baseOffset: number; suffix: string } | undefined {
  const m = /^([0-9]{20})(\..+)$/.exec(name)
  if (m === null) return undefined
  const baseOffset = Number(m[1])
  if (!Number.isSafeInteger(baseOffset)) return undefined
  return { baseOffset, suffix: m[2] }
}
