// The records of `__consumer_offsets`, in Kafka's own key and value formats, so Kafka's tools
// (kafka-console-consumer's OffsetsMessageFormatter / GroupMetadataMessageFormatter, kcat
// users decoding by hand) read them, and a log written by Kafka reads here.
//
// Every key and value starts with an int16 version. Keys:
//   v0/v1 OffsetCommitKey:   group string, topic string, partition int32  (we write v1)
//   v2    GroupMetadataKey:  group string
//   v3+   records of KIP-848 consumer groups and share groups (not written here; skipped)
// Values (we write what Kafka 3.9 writes):
//   OffsetCommitValue v3: offset int64, leaderEpoch int32, metadata string, commitTimestamp int64
//     (v1, with expireTimestamp int64 last and no leader epoch, when a v1-v4 commit set a retention)
//   GroupMetadataValue v3: protocolType string, generation int32, protocol nullable string,
//     leader nullable string, currentStateTimestamp int64,
//     members [memberId, groupInstanceId nullable, clientId, clientHost, rebalanceTimeout int32,
//              sessionTimeout int32, subscription bytes, assignment bytes]
// v4 of both values is the flexible encoding (compact strings, tagged fields): read, not written.
// A null value is a tombstone: the offset or the group is gone.
import { Reader, Writer } from '@runnel/protocol'
import type { StoredGroup, StoredMember } from './classic-group.ts'
import type { CommittedOffset } from './committed-offsets.ts'

export const OFFSET_COMMIT_KEY_VERSION = 1
export const GROUP_METADATA_KEY_VERSION = 2
export const OFFSET_COMMIT_VALUE_VERSION = 3
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1
export const GROUP_METADATA_VALUE_VERSION = 3

export type CoordinatorKey =
  | { readonly kind: 'offset'; readonly group: string; readonly topic: string; readonly partition: number }
  | { readonly kind: 'group'; readonly group: string }
  /** A record type this coordinator does not keep (KIP-848 or share groups). */
  | { readonly kind: 'other'; readonly version: number }

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return new Writer(64)
    .int16(OFFSET_COMMIT_KEY_VERSION)
    .nullableString(group)
    .nullableString(topic)
    .int32(partition)
    .toBuffer()
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new Writer(32).int16(GROUP_METADATA_KEY_VERSION).nullableString(group).toBuffer()
}

/** Throws RangeError (from the reader) on bytes that are not a key. */
export function decodeKey(key: Buffer): CoordinatorKey {
  const r = new Reader(key)
  const version = r.int16()
  if (version === 0 || version === 1) {
    const group = r.nullableString() ?? ''
    const topic = r.nullableString() ?? ''
    return { kind: 'offset', group, topic, partition: r.int32() }
  }
  if (version === 2) return { kind: 'group', group: r.nullableString() ?? '' }
  return { kind: 'other', version }
}

export function encodeOffsetCommitValue(c: CommittedOffset): Buffer {
  const w = new Writer(64)
  if (c.expireTimestamp !== null) {
    w.int16(OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY)
    w.int64(c.offset)
      .nullableString(c.metadata)
      .int64(BigInt(c.commitTimestamp))
      .int64(BigInt(c.expireTimestamp))
  } else {
    w.int16(OFFSET_COMMIT_VALUE_VERSION)
    w.int64(c.offset).int32(c.leaderEpoch).nullableString(c.metadata).int64(BigInt(c.commitTimestamp))
  }
  return w.toBuffer()
}

export function decodeOffsetCommitValue(value: Buffer): CommittedOffset {
  const r = new Reader(value)
  const version = r.int16()
  if (version < 0 || version > 4) throw new RangeError(`unknown OffsetCommitValue version ${version}`)
  const flexible = version >= 4
  const offset = r.int64()
  const leaderEpoch = version >= 3 ? r.int32() : -1
  const metadata = (flexible ? r.compactNullableString() : r.nullableString()) ?? ''
  const commitTimestamp = Number(r.int64())
  const expire = version === 1 ? Number(r.int64()) : -1
  if (flexible) skipTaggedFields(r)
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp: expire >= 0 ? expire : null }
}

export function encodeGroupMetadataValue(g: StoredGroup): Buffer {
  const w = new Writer(256)
  w.int16(GROUP_METADATA_VALUE_VERSION)
  w.nullableString(g.protocolType)
  w.int32(g.generationId)
  w.nullableString(g.protocolName)
  w.nullableString(g.leader)
  w.int64(BigInt(g.currentStateTimestamp))
  w.int32(g.members.length)
  for (const m of g.members) {
    w.nullableString(m.memberId)
    w.nullableString(m.groupInstanceId)
    w.nullableString(m.clientId)
    w.nullableString(m.clientHost)
    w.int32(m.rebalanceTimeoutMs)
    w.int32(m.sessionTimeoutMs)
    w.nullableBytes(m.subscription)
    w.nullableBytes(m.assignment)
  }
  return w.toBuffer()
}

export function decodeGroupMetadataValue(value: Buffer): StoredGroup {
  const r = new Reader(value)
  const version = r.int16()
  if (version < 0 || version > 4) throw new RangeError(`unknown GroupMetadataValue version ${version}`)
  const flexible = version >= 4
  const str = () => (flexible ? r.compactNullableString() : r.nullableString())
  const bytes = () =>
    Buffer.from((flexible ? r.compactNullableBytes() : r.nullableBytes()) ?? Buffer.alloc(0))
  const protocolType = str() ?? ''
  const generationId = r.int32()
  const protocolName = str()
  const leader = str()
  const currentStateTimestamp = version >= 2 ? Number(r.int64()) : -1
  const count = r.arrayLength(flexible)
  const members: StoredMember[] = []
  for (let i = 0; i < count; i++) {
    const memberId = str() ?? ''
    const groupInstanceId = version >= 3 ? str() : null
    const clientId = str() ?? ''
    const clientHost = str() ?? ''
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1
    const sessionTimeoutMs = r.int32()
    const subscription = bytes()
    const assignment = bytes()
    if (flexible) skipTaggedFields(r)
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      // v0 had no rebalance timeout: Kafka used the session timeout for both.
      rebalanceTimeoutMs: rebalanceTimeoutMs >= 0 ? rebalanceTimeoutMs : sessionTimeoutMs,
      sessionTimeoutMs,
      subscription,
      assignment,
    })
  }
  if (flexible) skipTaggedFields(r)
  return { protocolType, generationId, protocolName, leader, currentStateTimestamp, members }
}

function skipTaggedFields(r: Reader): void {
  const n = r.uvarint()
  for (let i = 0; i < n; i++) {
    r.uvarint()
    r.raw(r.uvarint())
  }
}

/**
 * The `__consumer_offsets` partition that holds a group: Kafka's
 * `Utils.abs(groupId.hashCode) % offsets.topic.num.partitions`, with Java's String.hashCode
 * (over UTF-16 code units), so a group lands where Kafka would put it for the same count.
 */
export function partitionForGroup(groupId: string, partitions: number): number {
  let h = 0
  for (let i = 0; i < groupId.length; i++) h = (Math.imul(31, h) + groupId.charCodeAt(i)) | 0
  const abs = h === -2147483648 ? 0 : Math.abs(h)
  return abs % partitions
}
