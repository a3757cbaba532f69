// The seam between the registry and where its log lives. The registry's state is whatever the
// log says: a write is an append, and it counts once it has been read back into `state` (so
// the reply to a client never runs ahead of what every instance will read).

import type { StoreRecord } from './records.ts'
import type { RegistryState } from './state.ts'

export interface SchemaStore {
  /** The state read from the log so far. */
  readonly state: RegistryState
  /** Reads the log to its end; the registry serves nothing before this resolves. */
  start(): Promise<void>
  /** Appends records, in order; resolves once they have been read back into `state`. */
  append(records: readonly StoreRecord[]): Promise<void>
  /** Resolves once `state` holds everything the log held when `sync` was called. */
  sync(): Promise<void>
  close(): Promise<void>
}
