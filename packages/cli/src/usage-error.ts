import { RunnelError } from '@runnel/errors'

/** A bad command line: the CLI prints the message and exits with status 2. */
export class UsageError extends RunnelError {
  constructor(message: string) {
    super('RUNNEL_CLI_USAGE', message)
    this.name = 'UsageError'
  }
}
