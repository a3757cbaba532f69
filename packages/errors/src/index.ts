// One error base for all of Runnel (STYLE.md habit 4): a stable, prefixed `code`, a
// `retriable` flag and a `cause`. Every package's errors extend it and name their codes
// `RUNNEL_<PACKAGE>_<WHAT>`; docs/errors.md (and the page of each package) documents every code,
// which test/errors-documented.test.ts checks against the sources. Kafka's own error codes are
// not exceptions: they are data written into responses (@runnel/protocol ErrorCode).
// No dependencies: importing an error costs nothing else.

export interface RunnelErrorOptions {
  retriable?: boolean
  cause?: unknown
}

export class RunnelError extends Error {
  readonly code: string
  readonly retriable: boolean

  constructor(code: string, message: string, options: RunnelErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'RunnelError'
    this.code = code
    this.retriable = options.retriable ?? false
  }
}

/** Whether `error` is a Runnel error, optionally with a code that starts with `prefix`. */
export function isRunnelError(error: unknown, prefix = 'RUNNEL_'): error is RunnelError {
  return error instanceof RunnelError && error.code.startsWith(prefix)
}
