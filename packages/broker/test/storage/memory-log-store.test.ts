import { MemoryLogStore } from '../../src/storage/memory-log-store.ts'
import { runLogStoreConformance, type StoreFactory } from './conformance.ts'
import { runCompactionConformance } from './conformance-compaction.ts'

const memory: StoreFactory = async ({ clock }) => {
  const store = new MemoryLogStore({ clock, cleaner: { sliceMs: 0 } })
  return { store, cleanup: () => store.close() }
}

runLogStoreConformance('memory', memory)
runCompactionConformance('memory', memory)
