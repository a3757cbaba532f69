// Every error the registry package emits is made here, from one table. REST errors carry the
// HTTP status and the numeric `error_code` Confluent's registry answers with, so existing clients
// branch on them unchanged; client-side errors (serdes, HTTP client) have no HTTP status of their
// own. `docs/registry.md` lists the same table and a test checks the two agree.

export const RegistryErrors = {
  // 4xx of the REST API, Confluent's codes.
  BAD_REQUEST: { status: 400, errorCode: 400, retriable: false },
  NOT_FOUND: { status: 404, errorCode: 404, retriable: false },
  METHOD_NOT_ALLOWED: { status: 405, errorCode: 405, retriable: false },
  PAYLOAD_TOO_LARGE: { status: 413, errorCode: 413, retriable: false },
  UNPROCESSABLE_ENTITY: { status: 422, errorCode: 422, retriable: false },
  SUBJECT_NOT_FOUND: { status: 404, errorCode: 40401, retriable: false },
  VERSION_NOT_FOUND: { status: 404, errorCode: 40402, retriable: false },
  SCHEMA_NOT_FOUND: { status: 404, errorCode: 40403, retriable: false },
  SUBJECT_SOFT_DELETED: { status: 404, errorCode: 40404, retriable: false },
  SUBJECT_NOT_SOFT_DELETED: { status: 404, errorCode: 40405, retriable: false },
  VERSION_SOFT_DELETED: { status: 404, errorCode: 40406, retriable: false },
  VERSION_NOT_SOFT_DELETED: { status: 404, errorCode: 40407, retriable: false },
  SUBJECT_COMPATIBILITY_NOT_CONFIGURED: { status: 404, errorCode: 40408, retriable: false },
  SUBJECT_MODE_NOT_CONFIGURED: { status: 404, errorCode: 40409, retriable: false },
  INCOMPATIBLE_SCHEMA: { status: 409, errorCode: 409, retriable: false },
  INVALID_SCHEMA: { status: 422, errorCode: 42201, retriable: false },
  INVALID_VERSION: { status: 422, errorCode: 42202, retriable: false },
  INVALID_COMPATIBILITY_LEVEL: { status: 422, errorCode: 42203, retriable: false },
  INVALID_MODE: { status: 422, errorCode: 42204, retriable: false },
  OPERATION_NOT_PERMITTED: { status: 422, errorCode: 42205, retriable: false },
  REFERENCE_EXISTS: { status: 422, errorCode: 42206, retriable: false },
  ID_DOES_NOT_MATCH: { status: 422, errorCode: 42207, retriable: false },
  // 5xx of the REST API.
  INTERNAL: { status: 500, errorCode: 500, retriable: false },
  STORE_ERROR: { status: 500, errorCode: 50001, retriable: true },
  OPERATION_TIMEOUT: { status: 500, errorCode: 50002, retriable: true },
  FORWARDING_FAILED: { status: 500, errorCode: 50003, retriable: true },
  UNKNOWN_LEADER: { status: 500, errorCode: 50004, retriable: true },
  // Client side: the serdes and the HTTP client. No HTTP status of their own.
  SERDES_UNKNOWN_SCHEMA_ID: { status: 0, errorCode: 0, retriable: false },
  SERDES_RECORD_MISMATCH: { status: 0, errorCode: 0, retriable: false },
  SERDES_MALFORMED_PAYLOAD: { status: 0, errorCode: 0, retriable: false },
  SERDES_BAD_MAGIC_BYTE: { status: 0, errorCode: 0, retriable: false },
  SERDES_UNKNOWN_MESSAGE: { status: 0, errorCode: 0, retriable: false },
  CLIENT_HTTP_ERROR: { status: 0, errorCode: 0, retriable: false },
  CLIENT_UNREACHABLE: { status: 0, errorCode: 0, retriable: true },
  STORE_CONFIGURATION: { status: 0, errorCode: 0, retriable: false },
} as const

export type RegistryErrorName = keyof typeof RegistryErrors

/** The prefix every `code` carries, so a caller can tell our errors from others at a glance. */
export const ERROR_CODE_PREFIX = 'RUNNEL_REGISTRY_'

export type RegistryErrorCode = `${typeof ERROR_CODE_PREFIX}${RegistryErrorName}`

export interface RegistryErrorOptions {
  cause?: unknown
  /** Overrides the table's HTTP status; the HTTP client uses it to carry the server's answer. */
  status?: number
  /** Overrides the table's error_code, for the same reason. */
  errorCode?: number
}

/** The one error class of the package: a stable prefixed `code`, a `retriable` flag and `cause`. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError'
  readonly code: RegistryErrorCode
  readonly kind: RegistryErrorName
  /** HTTP status of the REST answer (0 for errors that are not REST answers). */
  readonly status: number
  /** Confluent's `error_code` (0 for errors that are not REST answers). */
  readonly errorCode: number
  readonly retriable: boolean

  constructor(kind: RegistryErrorName, message: string, options: RegistryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    const definition = RegistryErrors[kind]
    this.kind = kind
    this.code = `${ERROR_CODE_PREFIX}${kind}`
    this.status = options.status ?? definition.status
    this.errorCode = options.errorCode ?? definition.errorCode
    this.retriable = definition.retriable
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
