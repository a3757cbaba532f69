// What the transactional APIs share in their answers: PRODUCER_FENCED came with v2 of
// AddPartitionsToTxn, AddOffsetsToTxn and EndTxn; an older version gets INVALID_PRODUCER_EPOCH instead, as Kafka
// maps it.
import { ErrorCode } from '@runnel/protocol'

const PRODUCER_FENCED_FROM_VERSION = 2

/** The error code for a request of `apiVersion`: PRODUCER_FENCED as that version knows it. */
export function fencedForVersion(errorCode: number, apiVersion: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && apiVersion < PRODUCER_FENCED_FROM_VERSION
    ? ErrorCode.INVALID_PRODUCER_EPOCH
    : errorCode
}
