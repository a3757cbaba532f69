// Writes that reach a follower go to the leader: the same method, path, query and body, and the
// leader's answer is passed back as it is. Confluent's registry does the same.

import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Leadership } from '../election/leadership.ts'
import { RegistryError } from '../errors.ts'
import { errorMessage } from '../formats/format.ts'

/** Marks a forwarded request, so that a follower never forwards it a second time. */
export const FORWARDED_HEADER = 'x-runnel-registry-forwarded'

export interface ForwardOptions {
  leadership: Leadership
  /** How long a write waits for a leader to be known before failing with 50004. */
  leaderWaitMs: number
  /** How long the leader may take to answer a forwarded write. */
  timeoutMs: number
  /** Catches this instance up with the log, so that it reads what the leader just wrote. */
  sync: () => Promise<void>
}

export type WriteOutcome<T> = { local: true; value: T } | { local: false; status: number }

/**
 * Runs `write` when this instance leads; otherwise forwards the request to the leader and sends
 * its answer on `reply`.
 */
export async function writeOrForward<T>(
  options: ForwardOptions,
  request: FastifyRequest,
  reply: FastifyReply,
  write: () => Promise<T>,
): Promise<WriteOutcome<T>> {
  const { leadership } = options
  if (!leadership.isLeader && leadership.leaderUrl === undefined)
    await leadership.waitForLeader(options.leaderWaitMs)
  if (leadership.isLeader) return { local: true, value: await write() }
  if (request.headers[FORWARDED_HEADER] !== undefined) {
    throw new RegistryError(
      'UNKNOWN_LEADER',
      'This instance received a forwarded write but is not the leader; leadership is changing, retry the request',
    )
  }
  const leaderUrl = leadership.leaderUrl
  if (leaderUrl === undefined) {
    throw new RegistryError(
      'UNKNOWN_LEADER',
      `No leader is known after ${options.leaderWaitMs} ms; retry the request`,
    )
  }
  const headers: Record<string, string> = { [FORWARDED_HEADER]: '1' }
  for (const name of ['content-type', 'accept', 'authorization']) {
    const value = request.headers[name]
    if (typeof value === 'string') headers[name] = value
  }
  let response: Response
  try {
    response = await fetch(new URL(request.url, leaderUrl), {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(options.timeoutMs),
    })
  } catch (error) {
    throw new RegistryError(
      'FORWARDING_FAILED',
      `Error while forwarding the request to the leader at ${leaderUrl}: ${errorMessage(error)}`,
      { cause: error },
    )
  }
  const body = await response.text()
  if (response.ok) await options.sync()
  reply.code(response.status)
  const contentType = response.headers.get('content-type')
  if (contentType !== null) reply.type(contentType)
  await reply.send(body)
  return { local: false, status: response.status }
}
