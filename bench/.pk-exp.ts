// throwaway: cost of N @platformatic/kafka producers in one process (not committed)
import { Producer } from '@platformatic/kafka'

const [bootstrap, nStr, secStr] = process.argv.slice(2)
const n = Number(nStr)
const cpu0 = process.cpuUsage()
const t0 = performance.now()
const producers = Array.from(
  { length: n },
  (_, i) => new Producer({ clientId: `p${i}`, bootstrapBrokers: [bootstrap], acks: 1 }),
)
await Promise.all(
  producers.map((p) => p.send({ messages: [{ topic: 'exp', value: Buffer.alloc(100), partition: 0 }] })),
)
const connectMs = performance.now() - t0
const cpu1 = process.cpuUsage(cpu0)
const rssConnected = process.memoryUsage.rss()
// steady: each producer sends 10 records every 200 ms for sec seconds
const lat: number[] = []
const end = performance.now() + Number(secStr) * 1000
const cpu2 = process.cpuUsage()
await Promise.all(
  producers.map(async (p) => {
    await new Promise((r) => setTimeout(r, Math.random() * 200))
    while (performance.now() < end) {
      const s = performance.now()
      await p.send({
        messages: Array.from({ length: 10 }, () => ({
          topic: 'exp',
          value: Buffer.alloc(100),
          partition: 0,
        })),
      })
      lat.push(performance.now() - s)
      await new Promise((r) => setTimeout(r, 200))
    }
  }),
)
const cpu3 = process.cpuUsage(cpu2)
lat.sort((a, b) => a - b)
console.log(
  JSON.stringify({
    n,
    connectMs: Math.round(connectMs),
    connectCpuS: (cpu1.user + cpu1.system) / 1e6,
    rssMB: Math.round(rssConnected / 2 ** 20),
    steadyCpuS: (cpu3.user + cpu3.system) / 1e6,
    sends: lat.length,
    p50: lat[lat.length >> 1].toFixed(2),
    p99: lat[Math.floor(lat.length * 0.99)].toFixed(2),
  }),
)
await Promise.all(producers.map((p) => p.close()))
process.exit(0)
