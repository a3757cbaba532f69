// `runnel <command> ...`: dispatches to one module per command. Each command parses its own
// flags strictly (an unknown or malformed flag is a usage error: exit 2 with one clear line,
// never a stack trace). Exit codes: 0 done, 1 the operation failed, 2 bad usage.
import { RunnelError } from '@runnel/errors'
import { UsageError } from './usage-error.ts'
import type { Command } from './verbs.ts'

const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  broker: {
    summary: 'run a Kafka-compatible broker in the foreground',
    load: async () => (await import('./commands/broker.ts')).brokerCommand,
  },
  topic: {
    summary: 'list, create, describe, delete topics and change their configs',
    load: async () => (await import('./commands/topic.ts')).topicCommand,
  },
  produce: {
    summary: 'write lines from stdin to a topic, one record each',
    load: async () => (await import('./commands/produce.ts')).produceCommand,
  },
  consume: {
    summary: 'print records of a topic, alone or in a consumer group',
    load: async () => (await import('./commands/consume.ts')).consumeCommand,
  },
  group: {
    summary: 'list, describe, delete consumer groups and reset their offsets',
    load: async () => (await import('./commands/group.ts')).groupCommand,
  },
  txn: {
    summary: 'list and describe transactions, and the producers of a partition',
    load: async () => (await import('./commands/txn.ts')).txnCommand,
  },
  registry: {
    summary: 'run a Confluent-compatible schema registry in the foreground',
    load: async () => (await import('./commands/registry.ts')).registryCommand,
  },
  schema: {
    summary: 'list, get, register, check and delete schemas in a schema registry',
    load: async () => (await import('./commands/schema.ts')).schemaCommand,
  },
}

function help(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length))
  return [
    'runnel — event-driven microservices on the Kafka protocol',
    '',
    'Usage: runnel <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `runnel <command> --help` for a command's options.",
    'Exit codes: 0 done, 1 the operation failed, 2 bad usage.',
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
  const entry = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (!entry) {
    console.error(`runnel: unknown command "${name}". Run \`runnel --help\` for the list.`)
    return 2
  }
  let label = name
  // An exception thrown inside a client callback escapes every try/catch: still one line, exit 1.
  // (The broker keeps Node's own handling: its stack traces belong in its logs.)
  if (name !== 'broker') {
    // The reader went away (`runnel consume ... | head`): stop quietly, as Unix tools do.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0)
    })
    const crash = (err: unknown) => {
      if ((err as NodeJS.ErrnoException | undefined)?.code === 'EPIPE') process.exit(0)
      console.error(`runnel ${label}: unexpected error: ${describeUnexpected(err)}`)
      process.exit(1)
    }
    process.on('uncaughtException', crash)
    process.on('unhandledRejection', crash)
  }
  try {
    const command = await entry.load()
    // Name the verb in error lines too: "runnel topic create: ...".
    if (command.verbs?.includes(rest[0])) label = `${name} ${rest[0]}`
    return await command.run(rest)
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`runnel ${label}: ${err.message}`)
      return 2
    }
    if (err instanceof RunnelError) {
      console.error(`runnel ${label}: ${err.message}`)
      return 1
    }
    console.error(`runnel ${label}: unexpected error: ${describeUnexpected(err)}`)
    return 1
  }
}

/** Not an error anyone planned for: one line (the stack only with RUNNEL_DEBUG=1). */
function describeUnexpected(err: unknown): string {
  const e = err as { code?: string; message?: string; stack?: string }
  if (process.env.RUNNEL_DEBUG) return e.stack ?? String(err)
  const text = `${(e.message ?? String(err)).split('\n')[0]}${e.code ? ` (${e.code})` : ''}`
  return `${text}. This is a bug; RUNNEL_DEBUG=1 shows where it happened.`
}
