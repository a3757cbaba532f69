// Where `runnel group reset-offsets` moves each partition, as kafka-consumer-groups does:
// pure, so the rules are tested without a broker. New offsets always land inside the log
// ([log start, log end]); a target outside it is clamped, as Kafka's tool does.
import { CliError, CliErrorCode } from './errors.ts'

export type ResetTo =
  | { kind: 'earliest' }
  | { kind: 'latest' }
  /** Milliseconds since the epoch. */
  | { kind: 'datetime'; timestamp: bigint }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'shift'; by: bigint }

export interface PartitionPosition {
  topic: string
  partition: number
  /** The group's committed offset, null when it has none. */
  current: bigint | null
  logStartOffset: bigint
  logEndOffset: bigint
  /** For `datetime`: ListOffsets' answer for the timestamp, -1 when no record is that recent. */
  offsetForTime?: bigint
}

export interface PlannedReset {
  topic: string
  partition: number
  current: bigint | null
  target: bigint
}

function clamp(offset: bigint, p: PartitionPosition): bigint {
  if (offset < p.logStartOffset) return p.logStartOffset
  if (offset > p.logEndOffset) return p.logEndOffset
  return offset
}

export function planReset(partitions: PartitionPosition[], to: ResetTo): PlannedReset[] {
  return partitions.map((p) => {
    let target: bigint
    switch (to.kind) {
      case 'earliest':
        target = p.logStartOffset
        break
      case 'latest':
        target = p.logEndOffset
        break
      case 'datetime':
        // No record at or after the time: the end, so the group reads only what comes next.
        target =
          p.offsetForTime === undefined || p.offsetForTime < 0n ? p.logEndOffset : clamp(p.offsetForTime, p)
        break
      case 'offset':
        target = clamp(to.offset, p)
        break
      case 'shift':
        if (p.current === null) {
          throw new CliError(
            CliErrorCode.RUNNEL_CLI_OFFSET,
            `Partition ${p.partition} of "${p.topic}" has no committed offset to shift; use --to-earliest, --to-latest, --to-offset or --to-datetime for it.`,
          )
        }
        target = clamp(p.current + to.by, p)
        break
    }
    return { topic: p.topic, partition: p.partition, current: p.current, target }
  })
}

/**
 * An ISO 8601 date-time (`2024-05-01T12:00:00Z`, `2024-05-01T14:00:00+02:00`, `2024-05-01`),
 * as milliseconds; without a zone it is local time, as kafka-consumer-groups reads it.
 */
export function parseDateTime(text: string): bigint | undefined {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      text,
    )
  if (!m) return undefined
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '0', zone] = m
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'))
  const fields = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms] as const
  let time: number
  if (zone === undefined) {
    time = new Date(...fields).getTime()
    const check = new Date(time)
    if (check.getMonth() !== fields[1] || check.getDate() !== fields[2]) return undefined
  } else {
    time = Date.UTC(...fields)
    const check = new Date(time)
    if (check.getUTCMonth() !== fields[1] || check.getUTCDate() !== fields[2]) return undefined
    if (zone !== 'Z') {
      const zm = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!
      const offsetMin = (Number(zm[2]) * 60 + Number(zm[3])) * (zm[1] === '+' ? 1 : -1)
      time -= offsetMin * 60_000
    }
  }
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59 || !Number.isFinite(time)) return undefined
  return BigInt(time)
}
