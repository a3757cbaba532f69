import { startRegistry } from './src/index.ts'

const t0 = Date.now()
try {
  await startRegistry({ brokers: '127.0.0.1:1', port: 0 })
} catch (e) {
  console.log(
    'rejected after',
    Date.now() - t0,
    (e as Error).constructor.name,
    (e as Error).message.slice(0, 300),
  )
}
