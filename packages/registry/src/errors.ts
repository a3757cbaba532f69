// Every error the registry package emits is made here, from one table. Each is a RunnelError
// (one error base for all of Runnel) with a stable `RUNNEL_REGISTRY_...` code written out in full,
// so the repository-wide check that every code is documented finds them. REST errors also carry
// the HTTP status and the numeric `error_code` Confluent's registry answers with, so existing
// clients branch on them unchanged; client-side errors (serdes, HTTP client) have no HTTP status
// of their own. `docs/registry.md` lists the same table and a test checks the two agree.

import { RunnelError } from '@runnel/errors'

/** The prefix every `code` carries, so a caller can tell our errors from others at a glance. */
export const ERROR_CODE_PREFIX = 'RUNNEL_REGISTRY_'

interface ErrorDefinition<Code extends string = string> {
  /** The stable code: the prefix and the name. */
  code: Code
  /** HTTP status of the REST answer (0: not a REST answer). */
  status: number
  /** Confluent's `error_code` (0: not a REST answer). */
  errorCode: number
  retriable: boolean
}

const RETRIABLE = true

/** An answer of the REST API: its HTTP status and Confluent's `error_code`. */
function rest<Code extends string>(code: Code, status: number, errorCode: number, retriable = false) {
  return { code, status, errorCode, retriable } satisfies ErrorDefinition<Code>
}

/** An error of the serdes or the HTTP client, which answers no HTTP request itself. */
function clientSide<Code extends string>(code: Code, retriable = false) {
  return rest(code, 0, 0, retriable)
}

// Checks at compile time that each entry's code is the prefix followed by its own name.
function defineErrors<
  T extends { [Name in keyof T & string]: ErrorDefinition<`${typeof ERROR_CODE_PREFIX}${Name}`> },
>(table: T): T {
  return table
}

export const RegistryErrors = defineErrors({
  // 4xx of the REST API, Confluent's codes.
  BAD_REQUEST: rest('RUNNEL_REGISTRY_BAD_REQUEST', 400, 400),
  NOT_FOUND: rest('RUNNEL_REGISTRY_NOT_FOUND', 404, 404),
  METHOD_NOT_ALLOWED: rest('RUNNEL_REGISTRY_METHOD_NOT_ALLOWED', 405, 405),
  PAYLOAD_TOO_LARGE: rest('RUNNEL_REGISTRY_PAYLOAD_TOO_LARGE', 413, 413),
  UNPROCESSABLE_ENTITY: rest('RUNNEL_REGISTRY_UNPROCESSABLE_ENTITY', 422, 422),
  SUBJECT_NOT_FOUND: rest('RUNNEL_REGISTRY_SUBJECT_NOT_FOUND', 404, 40401),
  VERSION_NOT_FOUND: rest('RUNNEL_REGISTRY_VERSION_NOT_FOUND', 404, 40402),
  SCHEMA_NOT_FOUND: rest('RUNNEL_REGISTRY_SCHEMA_NOT_FOUND', 404, 40403),
  SUBJECT_SOFT_DELETED: rest('RUNNEL_REGISTRY_SUBJECT_SOFT_DELETED', 404, 40404),
  SUBJECT_NOT_SOFT_DELETED: rest('RUNNEL_REGISTRY_SUBJECT_NOT_SOFT_DELETED', 404, 40405),
  VERSION_SOFT_DELETED: rest('RUNNEL_REGISTRY_VERSION_SOFT_DELETED', 404, 40406),
  VERSION_NOT_SOFT_DELETED: rest('RUNNEL_REGISTRY_VERSION_NOT_SOFT_DELETED', 404, 40407),
  SUBJECT_COMPATIBILITY_NOT_CONFIGURED: rest(
    'RUNNEL_REGISTRY_SUBJECT_COMPATIBILITY_NOT_CONFIGURED',
    404,
    40408,
  ),
  SUBJECT_MODE_NOT_CONFIGURED: rest('RUNNEL_REGISTRY_SUBJECT_MODE_NOT_CONFIGURED', 404, 40409),
  INCOMPATIBLE_SCHEMA: rest('RUNNEL_REGISTRY_INCOMPATIBLE_SCHEMA', 409, 409),
  INVALID_SCHEMA: rest('RUNNEL_REGISTRY_INVALID_SCHEMA', 422, 42201),
  INVALID_VERSION: rest('RUNNEL_REGISTRY_INVALID_VERSION', 422, 42202),
  INVALID_COMPATIBILITY_LEVEL: rest('RUNNEL_REGISTRY_INVALID_COMPATIBILITY_LEVEL', 422, 42203),
  INVALID_MODE: rest('RUNNEL_REGISTRY_INVALID_MODE', 422, 42204),
  OPERATION_NOT_PERMITTED: rest('RUNNEL_REGISTRY_OPERATION_NOT_PERMITTED', 422, 42205),
  REFERENCE_EXISTS: rest('RUNNEL_REGISTRY_REFERENCE_EXISTS', 422, 42206),
  ID_DOES_NOT_MATCH: rest('RUNNEL_REGISTRY_ID_DOES_NOT_MATCH', 422, 42207),
  // 5xx of the REST API.
  INTERNAL: rest('RUNNEL_REGISTRY_INTERNAL', 500, 500),
  STORE_ERROR: rest('RUNNEL_REGISTRY_STORE_ERROR', 500, 50001, RETRIABLE),
  OPERATION_TIMEOUT: rest('RUNNEL_REGISTRY_OPERATION_TIMEOUT', 500, 50002, RETRIABLE),
  FORWARDING_FAILED: rest('RUNNEL_REGISTRY_FORWARDING_FAILED', 500, 50003, RETRIABLE),
  UNKNOWN_LEADER: rest('RUNNEL_REGISTRY_UNKNOWN_LEADER', 500, 50004, RETRIABLE),
  // Client side: the serdes and the HTTP client. No HTTP status of their own.
  SERDES_UNKNOWN_SCHEMA_ID: clientSide('RUNNEL_REGISTRY_SERDES_UNKNOWN_SCHEMA_ID'),
  SERDES_RECORD_MISMATCH: clientSide('RUNNEL_REGISTRY_SERDES_RECORD_MISMATCH'),
  SERDES_MALFORMED_PAYLOAD: clientSide('RUNNEL_REGISTRY_SERDES_MALFORMED_PAYLOAD'),
  SERDES_BAD_MAGIC_BYTE: clientSide('RUNNEL_REGISTRY_SERDES_BAD_MAGIC_BYTE'),
  SERDES_UNKNOWN_MESSAGE: clientSide('RUNNEL_REGISTRY_SERDES_UNKNOWN_MESSAGE'),
  CLIENT_HTTP_ERROR: clientSide('RUNNEL_REGISTRY_CLIENT_HTTP_ERROR'),
  CLIENT_UNREACHABLE: clientSide('RUNNEL_REGISTRY_CLIENT_UNREACHABLE', RETRIABLE),
  STORE_CONFIGURATION: clientSide('RUNNEL_REGISTRY_STORE_CONFIGURATION'),
})

export type RegistryErrorName = keyof typeof RegistryErrors

export type RegistryErrorCode = `${typeof ERROR_CODE_PREFIX}${RegistryErrorName}`

export interface RegistryErrorOptions {
  cause?: unknown
  /** Overrides the table's HTTP status; the HTTP client uses it to carry the server's answer. */
  status?: number
  /** Overrides the table's error_code, for the same reason. */
  errorCode?: number
}

/**
 * The one error class of the package: a RunnelError (stable prefixed `code`, `retriable`, `cause`)
 * that also knows its REST answer. `name` stays 'RegistryError' and `kind` is the table's key, so
 * callers that tell errors apart by those keep working.
 */
export class RegistryError extends RunnelError {
  override readonly name = 'RegistryError'
  declare readonly code: RegistryErrorCode
  readonly kind: RegistryErrorName
  /** HTTP status of the REST answer (0 for errors that are not REST answers). */
  readonly status: number
  /** Confluent's `error_code` (0 for errors that are not REST answers). */
  readonly errorCode: number

  constructor(kind: RegistryErrorName, message: string, options: RegistryErrorOptions = {}) {
    const definition = RegistryErrors[kind]
    super(definition.code, message, { retriable: definition.retriable, cause: options.cause })
    this.kind = kind
    this.status = options.status ?? definition.status
    this.errorCode = options.errorCode ?? definition.errorCode
  }

  /** The body Confluent's registry answers with. */
  toJSON(): { error_code: number; message: string } {
    return { error_code: this.errorCode, message: this.message }
  }
}

export function isRegistryError(error: unknown, kind?: RegistryErrorName): error is RegistryError {
  return error instanceof RegistryError && (kind === undefined || error.kind === kind)
}

// Factories for the errors whose wording Confluent fixes; callers elsewhere pass their own text.
export const errors = {
  subjectNotFound: (subject: string) =>
    new RegistryError('SUBJECT_NOT_FOUND', `Subject '${subject}' not found.`),
  versionNotFound: (version: number | string) =>
    new RegistryError('VERSION_NOT_FOUND', `Version ${version} not found.`),
  schemaNotFound: (id?: number) =>
    new RegistryError('SCHEMA_NOT_FOUND', id === undefined ? 'Schema not found' : `Schema ${id} not found`),
  subjectSoftDeleted: (subject: string) =>
    new RegistryError(
      'SUBJECT_SOFT_DELETED',
      `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`,
    ),
  subjectNotSoftDeleted: (subject: string) =>
    new RegistryError(
      'SUBJECT_NOT_SOFT_DELETED',
      `Subject '${subject}' was not deleted first before being permanently deleted`,
    ),
  versionSoftDeleted: (subject: string, version: number) =>
    new RegistryError(
      'VERSION_SOFT_DELETED',
      `Subject '${subject}' Version ${version} was soft deleted. Set permanent=true to delete permanently`,
    ),
  versionNotSoftDeleted: (subject: string, version: number) =>
    new RegistryError(
      'VERSION_NOT_SOFT_DELETED',
      `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`,
    ),
  subjectCompatibilityNotConfigured: (subject: string) =>
    new RegistryError(
      'SUBJECT_COMPATIBILITY_NOT_CONFIGURED',
      `Subject '${subject}' does not have subject-level compatibility configured`,
    ),
  subjectModeNotConfigured: (subject: string) =>
    new RegistryError(
      'SUBJECT_MODE_NOT_CONFIGURED',
      `Subject '${subject}' does not have subject-level mode configured`,
    ),
  invalidVersion: (version: string) =>
    new RegistryError(
      'INVALID_VERSION',
      `The specified version '${version}' is not a valid version id. ` +
        'Allowed values are between [1, 2^31-1] and the string "latest"',
    ),
  invalidCompatibilityLevel: (value: unknown) =>
    new RegistryError(
      'INVALID_COMPATIBILITY_LEVEL',
      `Invalid compatibility level ${JSON.stringify(value)}. Valid values are none, backward, forward, full, ` +
        'backward_transitive, forward_transitive, and full_transitive',
    ),
  invalidMode: (value: unknown) =>
    new RegistryError(
      'INVALID_MODE',
      `Invalid mode ${JSON.stringify(value)}. Valid values are READWRITE, READONLY, and IMPORT.`,
    ),
  invalidSchema: (detail: string, cause?: unknown) =>
    new RegistryError('INVALID_SCHEMA', `Invalid schema: ${detail}`, { cause }),
} as const
