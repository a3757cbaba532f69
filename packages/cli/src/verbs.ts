// Commands with sub-verbs (`runnel topic create ...`) and the output helpers they share.
import { UsageError } from './usage-error.ts'

export interface Verb {
  /** One line for the command's help, e.g. `list  list topics`. */
  summary: string
  run(args: string[]): Promise<number>
}

export interface Command {
  summary: string
  /** The verbs of a command that has them (`topic create`), for error lines. */
  verbs?: string[]
  run(args: string[]): Promise<number>
}

/** A command made of verbs: `runnel <name> <verb> [options]`. */
export function commandWithVerbs(name: string, summary: string, verbs: Record<string, Verb>): Command {
  const help = () => {
    const width = Math.max(...Object.keys(verbs).map((v) => v.length))
    return [
      `Usage: runnel ${name} <verb> [options]`,
      '',
      summary.charAt(0).toUpperCase() + summary.slice(1) + '.',
      '',
      'Verbs:',
      ...Object.entries(verbs).map(([v, verb]) => `  ${v.padEnd(width)}  ${verb.summary}`),
      '',
      `Run \`runnel ${name} <verb> --help\` for a verb's options.`,
    ].join('\n')
  }
  return {
    summary,
    verbs: Object.keys(verbs),
    async run(args) {
      const [verb, ...rest] = args
      if (verb === undefined || verb === '--help' || verb === '-h' || verb === 'help') {
        console.log(help())
        return verb === undefined ? 2 : 0
      }
      const found = Object.hasOwn(verbs, verb) ? verbs[verb] : undefined
      if (!found) {
        throw new UsageError(`unknown verb "${verb}"; use one of ${Object.keys(verbs).join(', ')}`)
      }
      return found.run(rest)
    },
  }
}

function jsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString()
  if (value instanceof Map) return Object.fromEntries(value)
  return value
}

/** One JSON document on stdout; bigints become numbers (strings past 2^53). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, jsonValue, 2)}\n`)
}

export function print(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
}

/** A note for the person at the terminal, kept off stdout so pipes carry only data. */
export function note(text: string): void {
  process.stderr.write(`${text}\n`)
}
