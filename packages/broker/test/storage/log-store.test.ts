import type { LogStore } from '../../src/storage/api.ts'
import { defaultLogConfig, type LogConfig } from '../../src/storage/log-config.ts'
import { openDiskLogStore } from '../../src/storage/log-store.ts'
import type { TailCacheLimits } from '../../src/storage/tail-cache.ts'
import { runLogStoreConformance, type StoreFactory } from './conformance.ts'
import { runCompactionConformance } from './conformance-compaction.ts'
import { tempDir } from './temp-dir.ts'

function diskFactory(tailCache?: Partial<TailCacheLimits>): StoreFactory {
  return async ({ clock }) => {
    const dir = tempDir()
    // sliceMs 0: the cleaner yields after every batch, the most interleaving with appends and reads.
    const cleaner = { sliceMs: 0 }
    let current: LogStore = await openDiskLogStore({ dataDir: dir.path, clock, tailCache, cleaner })
    return {
      get store() {
        return current
      },
      reopen: async (configFor?: (topic: string) => LogConfig) => {
        await current.close()
        current = await openDiskLogStore({
          dataDir: dir.path,
          clock,
          tailCache,
          cleaner,
          configFor: (topic) => configFor?.(topic) ?? defaultLogConfig,
        })
        return current
      },
      cleanup: async () => {
        await current.close()
        dir.remove()
      },
    }
  }
}

runLogStoreConformance('disk, tail cache on', diskFactory())
// A zero-byte tail cache sends every read through the indexes and positioned reads.
runLogStoreConformance('disk, tail cache off', diskFactory({ partitionBytes: 0 }))
runCompactionConformance('disk, tail cache on', diskFactory())
runCompactionConformance('disk, tail cache off', diskFactory({ partitionBytes: 0 }))
