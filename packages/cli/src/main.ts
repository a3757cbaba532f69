// `runnel <command> ...`: dispatches to one module per command. Each command parses its own
// flags strictly (an unknown or malformed flag is a usage error: exit 2 with one clear line,
// never a stack trace).
import { UsageError } from './usage-error.ts'

interface Command {
  summary: string
  run(args: string[]): Promise<number>
}

const commands: Record<string, () => Promise<Command>> = {
  broker: async () => (await import('./commands/broker.ts')).brokerCommand,
}

function help(): string {
  return [
    'runnel — event-driven microservices on the Kafka protocol',
    '',
    'Usage: runnel <command> [options]',
    '',
    'Commands:',
    '  broker     run a Kafka-compatible broker in the foreground',
    '',
    'Run `runnel <command> --help` for a command\'s options.',
  ].join('\n')
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(help())
    return name === undefined ? 2 : 0
  }
  if (name === '--version' || name === '-v') {
    console.log('runnel 0.1.0')
    return 0
  }
  const load = commands[name]
  if (!load) {
    console.error(`runnel: unknown command "${name}". Run \`runnel --help\` for the list.`)
    return 2
  }
  try {
    return await (await load()).run(rest)
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`runnel ${name}: ${err.message}`)
      return 2
    }
    const e = err as { code?: string; message?: string }
    console.error(`runnel ${name}: ${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}`)
    return 1
  }
}
