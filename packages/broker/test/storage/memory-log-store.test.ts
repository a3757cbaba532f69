import { MemoryLogStore } from '../../src/storage/memory-log-store.ts'
import { runLogStoreConformance } from './conformance.ts'

runLogStoreConformance('memory', async ({ clock }) => {
  const store = new MemoryLogStore({ clock })
  return { store, cleanup: () => store.close() }
})
