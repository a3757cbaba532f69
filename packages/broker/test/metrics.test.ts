// The broker's own health in /metrics: event-loop delay since the previous scrape, and the
// process's resident memory. The broker here runs in the test's process, so blocking the
// test's event loop blocks the broker's, and the next scrape must show it; the scrape after
// that must not (the window was reset).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { scrapeMetrics, startTestBroker, type TestBroker } from './helpers/broker.ts'

const delay = (values: Map<string, number>, quantile: string): number => {
  const v = values.get(`runnel_broker_event_loop_delay_seconds{quantile="${quantile}"}`)
  assert.ok(v !== undefined, `no event-loop delay quantile ${quantile}`)
  return v
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('/metrics: event-loop delay and memory', { timeout: 30_000 }, () => {
  let broker: TestBroker

  before(async () => {
    broker = await startTestBroker({ httpPort: 0 })
  })
  after(async () => {
    await broker?.dispose()
  })

  it('shows a 300 ms block of the event loop in the next scrape only, and the resident memory', async () => {
    const port = broker.httpPort!
    await scrapeMetrics(port) // starts a fresh window
    await sleep(200) // a calm window: the 10 ms timer runs on time
    const calm = await scrapeMetrics(port)
    assert.ok(delay(calm, 'max') < 0.2, `calm max ${delay(calm, 'max')} s`)
    assert.ok(delay(calm, '0.5') <= delay(calm, '0.99') && delay(calm, '0.99') <= delay(calm, 'max'))

    const until = performance.now() + 300
    while (performance.now() < until) {
      // busy: neither the broker nor its timer can run
    }
    await sleep(50)
    const blocked = await scrapeMetrics(port)
    assert.ok(delay(blocked, 'max') >= 0.25, `after a 300 ms block, max ${delay(blocked, 'max')} s`)
    assert.ok(delay(blocked, 'max') < 5)

    await sleep(200)
    const again = await scrapeMetrics(port)
    assert.ok(delay(again, 'max') < 0.2, `reset after the scrape: max ${delay(again, 'max')} s`)

    const rss = again.get('process_resident_memory_bytes')
    assert.ok(rss !== undefined, 'no process_resident_memory_bytes')
    const real = process.memoryUsage.rss()
    assert.ok(rss > 20 * 2 ** 20 && Math.abs(rss - real) < real / 2, `rss ${rss}, process says ${real}`)
    const heap = again.get('nodejs_heap_size_used_bytes')
    const heapTotal = again.get('nodejs_heap_size_total_bytes')
    assert.ok(heap !== undefined && heapTotal !== undefined, 'no heap figures')
    assert.ok(heap > 0 && heap <= heapTotal && heapTotal < rss, `heap ${heap} of ${heapTotal}, rss ${rss}`)
    assert.ok((again.get('nodejs_external_memory_bytes') ?? 0) > 0, 'no nodejs_external_memory_bytes')
  })
})
