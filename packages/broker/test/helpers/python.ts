// python3-confluent-kafka (Debian's, librdkafka 2.0.2) run through /usr/bin/python3 as a
// child process: see confluent_kafka_client.py for the commands.
import { homedir } from 'node:os'
import { join } from 'node:path'
import { jsonLines, LineChild, runChecked } from './child-process.ts'

export const PYTHON = '/usr/bin/python3'
export const CONFLUENT_CLIENT = join(new URL('.', import.meta.url).pathname, 'confluent_kafka_client.py')

/**
 * The current confluent-kafka wheel from PyPI (a recent librdkafka built in), in the virtual
 * environment `.ci/run` makes: RUNNEL_CONFLUENT_WHEEL_PYTHON, or ~/.cache/runnel/py/bin/python.
 */
export const WHEEL_PYTHON =
  process.env.RUNNEL_CONFLUENT_WHEEL_PYTHON ?? join(homedir(), '.cache/runnel/py/bin/python')

/** Runs one command of confluent_kafka_client.py and returns its JSON lines. */
export async function confluent<T = Record<string, unknown>>(
  command: string,
  args: readonly (string | number)[],
  options: { input?: unknown; timeoutMs?: number; python?: string } = {},
): Promise<T[]> {
  const result = await runChecked(
    options.python ?? PYTHON,
    [CONFLUENT_CLIENT, command, ...args.map(String)],
    {
      input: options.input === undefined ? undefined : JSON.stringify(options.input),
      timeoutMs: options.timeoutMs ?? 60_000,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    },
  )
  return jsonLines<T>(result.stdout)
}

/** Starts `confluent_kafka_client.py stream`: a producer that runs until stop(). */
export function startStreamProducer(
  bootstrap: string,
  topic: string,
  partitions: number,
  ratePerSecond: number,
): LineChild {
  return new LineChild(
    PYTHON,
    [CONFLUENT_CLIENT, 'stream', bootstrap, topic, String(partitions), String(ratePerSecond)],
    {
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    },
  )
}
