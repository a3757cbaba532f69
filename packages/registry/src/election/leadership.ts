// Who may write. One instance leads and writes to the log; the others forward writes to it over
// HTTP. The Kafka-backed election lives in kafka-group-election.ts; the two here are for a
// registry that runs alone, and for one that always defers to a known leader.

export interface Leadership {
  /** Whether this instance may write now. */
  readonly isLeader: boolean
  /** The leader's advertised URL when one is known (this instance's own when it leads). */
  readonly leaderUrl: string | undefined
  /** Joins the election, advertising `ownUrl` for forwarded writes. */
  start(ownUrl: string): Promise<void>
  /** Resolves once a leader is known, or when `timeoutMs` has passed. */
  waitForLeader(timeoutMs: number): Promise<void>
  close(): Promise<void>
}

/** A registry that is alone: it always leads. */
export function singleNode(): Leadership {
  let url: string | undefined
  return {
    get isLeader() {
      return true
    },
    get leaderUrl() {
      return url
    },
    async start(ownUrl: string) {
      url = ownUrl
    },
    async waitForLeader() {},
    async close() {},
  }
}

/** A registry that never writes itself and forwards every write to `leaderUrl` (a read replica). */
export function followerOf(leaderUrl: string): Leadership {
  return {
    get isLeader() {
      return false
    },
    get leaderUrl() {
      return leaderUrl
    },
    async start() {},
    async waitForLeader() {},
    async close() {},
  }
}
