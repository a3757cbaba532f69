// Per-partition log settings as plain numbers. The broker maps Kafka's topic config names onto
// this (see `logConfigFromTopicConfigs`); defaults are Kafka's.
import { StorageError, StorageErrorCode } from './errors.ts'

export const CleanupPolicy = {
  delete: 'delete',
  compact: 'compact',
  compactDelete: 'compact,delete',
} as const
export type CleanupPolicy = (typeof CleanupPolicy)[keyof typeof CleanupPolicy]

export interface LogConfig {
  /** segment.bytes: roll when the active segment would exceed this. At most 2^31-1 (positions are int32). */
  readonly segmentBytes: number
  /** segment.ms: roll when a new batch's timestamp is this far past the segment's first batch. */
  readonly segmentMs: number
  /** segment.index.bytes: roll when the offset or time index would exceed this many bytes. */
  readonly segmentIndexBytes: number
  /** retention.ms: delete a segment once its largest timestamp is older than this; -1 keeps forever. */
  readonly retentionMs: number
  /** retention.bytes: delete oldest segments while the log is bigger than this; -1 = no limit. */
  readonly retentionBytes: number
  /** index.interval.bytes: bytes of log between two sparse offset-index entries. */
  readonly indexIntervalBytes: number
  /** max.message.bytes: the largest batch accepted (Kafka's name; it applies to batches). */
  readonly maxMessageBytes: number
  /** cleanup.policy: retention by time/size applies only when it includes `delete`; compaction when it includes `compact`. */
  readonly cleanupPolicy: CleanupPolicy
  /** min.cleanable.dirty.ratio: the cleaner takes a log once its dirty share of bytes is above this. */
  readonly minCleanableDirtyRatio: number
  /** min.compaction.lag.ms: records younger than this (by timestamp) stay uncompacted. */
  readonly minCompactionLagMs: number
  /** max.compaction.lag.ms: dirty records older than this make the log cleanable whatever its ratio. */
  readonly maxCompactionLagMs: number
  /** delete.retention.ms: how long a tombstone outlives the cleaning that first kept it. */
  readonly deleteRetentionMs: number
}

const DAY_MS = 24 * 60 * 60 * 1000
export const MAX_SEGMENT_BYTES = 0x7fffffff

export const defaultLogConfig: LogConfig = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  segmentIndexBytes: 10 * 1024 * 1024,
  retentionMs: 7 * DAY_MS,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  maxMessageBytes: 1048588,
  cleanupPolicy: CleanupPolicy.delete,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  // Kafka's default is Long.MAX_VALUE: never forces a cleaning.
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  deleteRetentionMs: DAY_MS,
})

/** Why a config is invalid, or undefined when it is fine. */
export function logConfigProblem(config: LogConfig): string | undefined {
  const int = (v: number) => Number.isSafeInteger(v)
  if (!int(config.segmentBytes) || config.segmentBytes < 14 || config.segmentBytes > MAX_SEGMENT_BYTES)
    return `segmentBytes must be an integer in [14, ${MAX_SEGMENT_BYTES}]`
  if (!int(config.segmentMs) || config.segmentMs < 1) return 'segmentMs must be a positive integer'
  if (!int(config.segmentIndexBytes) || config.segmentIndexBytes < 12)
    return 'segmentIndexBytes must be an integer >= 12'
  if (!int(config.retentionMs) || config.retentionMs < -1) return 'retentionMs must be an integer >= -1'
  if (!int(config.retentionBytes) || config.retentionBytes < -1)
    return 'retentionBytes must be an integer >= -1'
  if (!int(config.indexIntervalBytes) || config.indexIntervalBytes < 0)
    return 'indexIntervalBytes must be an integer >= 0'
  if (!int(config.maxMessageBytes) || config.maxMessageBytes < 0)
    return 'maxMessageBytes must be an integer >= 0'
  if (
    !Number.isFinite(config.minCleanableDirtyRatio) ||
    config.minCleanableDirtyRatio < 0 ||
    config.minCleanableDirtyRatio > 1
  )
    return 'minCleanableDirtyRatio must be a number in [0, 1]'
  if (!int(config.minCompactionLagMs) || config.minCompactionLagMs < 0)
    return 'minCompactionLagMs must be an integer >= 0'
  if (!int(config.maxCompactionLagMs) || config.maxCompactionLagMs < 1)
    return 'maxCompactionLagMs must be an integer >= 1'
  if (!int(config.deleteRetentionMs) || config.deleteRetentionMs < 0)
    return 'deleteRetentionMs must be an integer >= 0'
  if (!Object.values(CleanupPolicy).includes(config.cleanupPolicy))
    return `cleanupPolicy must be one of ${Object.values(CleanupPolicy).join(', ')}`
  return undefined
}

/** Defaults overlaid with `overrides`; throws StorageError on an invalid value (a caller bug). */
export function logConfig(overrides: Partial<LogConfig> = {}, base: LogConfig = defaultLogConfig): LogConfig {
  const config = Object.freeze({ ...base, ...overrides })
  const problem = logConfigProblem(config)
  if (problem !== undefined) throw new StorageError(StorageErrorCode.invalidConfig, problem)
  return config
}

export const deletesByRetention = (config: LogConfig): boolean =>
  config.cleanupPolicy !== CleanupPolicy.compact

export const compacts = (config: LogConfig): boolean => config.cleanupPolicy !== CleanupPolicy.delete

/** Kafka topic config names that map onto LogConfig fields (numeric ones). */
export const kafkaLogConfigNames = {
  'segment.bytes': 'segmentBytes',
  'segment.ms': 'segmentMs',
  'segment.index.bytes': 'segmentIndexBytes',
  'retention.ms': 'retentionMs',
  'retention.bytes': 'retentionBytes',
  'index.interval.bytes': 'indexIntervalBytes',
  'max.message.bytes': 'maxMessageBytes',
  'min.compaction.lag.ms': 'minCompactionLagMs',
  'max.compaction.lag.ms': 'maxCompactionLagMs',
  'delete.retention.ms': 'deleteRetentionMs',
} as const satisfies Record<string, Exclude<keyof LogConfig, 'cleanupPolicy' | 'minCleanableDirtyRatio'>>

/**
 * A Kafka LONG as a JS number. Kafka's "forever" defaults are Long.MAX_VALUE, which a double cannot
 * hold exactly: whole numbers past 2^53 become Number.MAX_SAFE_INTEGER, which means the same here.
 */
function parseLong(raw: string): number | undefined {
  const text = raw.trim()
  if (text === '') return undefined
  const value = Number(text)
  if (Number.isSafeInteger(value)) return value
  return /^\d+$/.test(text) ? Number.MAX_SAFE_INTEGER : undefined
}

export type LogConfigParse = { ok: true; config: LogConfig } | { ok: false; name: string; reason: string }

/**
 * Builds a LogConfig from Kafka topic configs (string map, e.g. `{ 'retention.ms': '60000' }`)
 * over `base` (the broker's defaults). Names storage does not use are ignored; a bad value is
 * reported (the broker answers INVALID_CONFIG), never thrown.
 */
export function logConfigFromTopicConfigs(
  configs: Readonly<Record<string, string>>,
  base: LogConfig = defaultLogConfig,
): LogConfigParse {
  const out: { -readonly [K in keyof LogConfig]: LogConfig[K] } = { ...base }
  for (const [name, field] of Object.entries(kafkaLogConfigNames)) {
    const raw = configs[name]
    if (raw === undefined) continue
    const value = parseLong(raw)
    if (value === undefined) return { ok: false, name, reason: `${name} must be an integer, got '${raw}'` }
    out[field] = value
  }
  const ratio = configs['min.cleanable.dirty.ratio']
  if (ratio !== undefined) {
    const value = ratio.trim() === '' ? Number.NaN : Number(ratio)
    if (!Number.isFinite(value))
      return {
        ok: false,
        name: 'min.cleanable.dirty.ratio',
        reason: `min.cleanable.dirty.ratio must be a number, got '${ratio}'`,
      }
    out.minCleanableDirtyRatio = value
  }
  const policy = configs['cleanup.policy']
  if (policy !== undefined) {
    const parts = new Set(policy.split(',').map((p) => p.trim().toLowerCase()))
    if (parts.size === 0 || [...parts].some((p) => p !== 'delete' && p !== 'compact'))
      return { ok: false, name: 'cleanup.policy', reason: `cleanup.policy must be delete, compact or both` }
    out.cleanupPolicy =
      parts.has('compact') && parts.has('delete')
        ? CleanupPolicy.compactDelete
        : parts.has('compact')
          ? CleanupPolicy.compact
          : CleanupPolicy.delete
  }
  const problem = logConfigProblem(out)
  if (problem !== undefined) return { ok: false, name: 'config', reason: problem }
  return { ok: true, config: Object.freeze(out) }
}
