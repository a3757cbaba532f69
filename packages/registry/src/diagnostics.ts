// Every diagnostics channel of the registry, declared in one place. Subscribers (the console,
// logs, tests) learn about leadership and recovered errors without the registry knowing them.

import { channel } from 'node:diagnostics_channel'

/** `{ role: 'leader' | 'follower' | 'none', leaderUrl?: string }` whenever this instance's view of the leader changes. */
export const leadershipChannel = channel('runnel:registry:leadership')

/** `{ source: 'store' | 'election', error }` for errors the registry recovers from by retrying. */
export const recoveredErrorChannel = channel('runnel:registry:recovered-error')

/** `{ source: 'store', message }` for what does not stop the registry but should be fixed (too few replicas). */
export const warningChannel = channel('runnel:registry:warning')

export interface LeadershipMessage {
  role: 'leader' | 'follower' | 'none'
  leaderUrl?: string
}

export interface RecoveredErrorMessage {
  source: 'store' | 'election'
  error: unknown
}

export interface WarningMessage {
  source: 'store'
  message: string
}
