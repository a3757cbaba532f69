// The slice of a pino logger storage uses; a pino Logger fits it. Silent by default.

export interface StorageLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

const noop = (): void => {}
export const silentLogger: StorageLogger = { info: noop, warn: noop, error: noop }
