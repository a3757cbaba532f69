// The CLI's error codes. Each is listed, with the sentence a user reads, in docs/cli.md (a test
// checks both lists agree). A UsageError (RUNNEL_CLI_USAGE) exits with status 2; every other
// CliError means the operation failed and exits with status 1.
import { RunnelError, type RunnelErrorOptions } from '@runnel/errors'

export const CliErrorCode = {
  /** A bad command line: unknown flag or command, a malformed value, flags that conflict. */
  RUNNEL_CLI_USAGE: 'RUNNEL_CLI_USAGE',
  /** No broker answered at the bootstrap addresses (refused, unknown host, timed out, closed). */
  RUNNEL_CLI_BROKER_UNREACHABLE: 'RUNNEL_CLI_BROKER_UNREACHABLE',
  /** The topic does not exist on the cluster. */
  RUNNEL_CLI_UNKNOWN_TOPIC: 'RUNNEL_CLI_UNKNOWN_TOPIC',
  /** The topic exists, but not the partition asked for. */
  RUNNEL_CLI_UNKNOWN_PARTITION: 'RUNNEL_CLI_UNKNOWN_PARTITION',
  /** `topic create` of a topic that already exists. */
  RUNNEL_CLI_TOPIC_EXISTS: 'RUNNEL_CLI_TOPIC_EXISTS',
  /** The group does not exist (describe, delete). */
  RUNNEL_CLI_UNKNOWN_GROUP: 'RUNNEL_CLI_UNKNOWN_GROUP',
  /** The group has members: its offsets cannot be reset and it cannot be deleted. */
  RUNNEL_CLI_GROUP_ACTIVE: 'RUNNEL_CLI_GROUP_ACTIVE',
  /** The transactional id is unknown to its coordinator (`txn describe`: TRANSACTIONAL_ID_NOT_FOUND). */
  RUNNEL_CLI_UNKNOWN_TRANSACTIONAL_ID: 'RUNNEL_CLI_UNKNOWN_TRANSACTIONAL_ID',
  /** `--offset` outside a partition's log, or `--shift-by` with no committed offset to shift. */
  RUNNEL_CLI_OFFSET: 'RUNNEL_CLI_OFFSET',
  /** The broker answered with a Kafka error code not covered above; the message names it. */
  RUNNEL_CLI_KAFKA_ERROR: 'RUNNEL_CLI_KAFKA_ERROR',
  /** No schema registry answered at the URL (refused, unknown host, timed out). */
  RUNNEL_CLI_REGISTRY_UNREACHABLE: 'RUNNEL_CLI_REGISTRY_UNREACHABLE',
  /** The schema registry refused with an `error_code` (40401 subject not found, ...); the sentence names it. */
  RUNNEL_CLI_REGISTRY_ERROR: 'RUNNEL_CLI_REGISTRY_ERROR',
  /** `schema check` or `schema register` of a schema the subject's compatibility level refuses. */
  RUNNEL_CLI_INCOMPATIBLE_SCHEMA: 'RUNNEL_CLI_INCOMPATIBLE_SCHEMA',
  /** The local schema file cannot be read (missing, a directory, not permitted). */
  RUNNEL_CLI_SCHEMA_FILE: 'RUNNEL_CLI_SCHEMA_FILE',
  /** This machine cannot do what was asked (e.g. zstd compression on Node < 22.15). */
  RUNNEL_CLI_UNSUPPORTED: 'RUNNEL_CLI_UNSUPPORTED',
} as const
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode]

/** An operation that failed for a reason a person can act on: printed as one sentence, exit 1. */
export class CliError extends RunnelError {
  constructor(code: CliErrorCode, message: string, options?: RunnelErrorOptions) {
    super(code, message, options)
    this.name = 'CliError'
  }
}
