// `@runnel/broker/testing`: a broker for a test, in memory by default, on 127.0.0.1 and a free
// port, with request faults (delay, fail with a Kafka error code, drop the connection) by API
// key and topic. docs/testing.md.
import { shareInternals, startBroker } from '../broker.ts'
import type { BrokerOptions } from '../config/broker-config.ts'
import { RequestFaults } from './faults.ts'

export {
  FAILABLE_API_KEYS,
  type FaultOptions,
  type FaultRule,
  type RequestFault,
  RequestFaults,
} from './faults.ts'
export { type Clock, ManualClock, type TimerHandle } from './manual-clock.ts'

export interface TestBrokerOptions
  extends Omit<BrokerOptions, 'host' | 'port' | 'httpPort' | 'httpHost' | 'faults' | 'logLevel'> {
  /** pino level; silent by default. */
  logLevel?: BrokerOptions['logLevel']
  /** Also serve /health and /metrics on a free port. */
  http?: boolean
}

export interface TestBroker {
  /** `127.0.0.1:<port>`, for a client's bootstrap list. */
  readonly bootstrap: string
  readonly port: number
  /** The /health and /metrics port when `http` was asked for. */
  readonly httpPort: number | undefined
  readonly clusterId: string
  /** Delay, fail or drop requests by API key (and topic). */
  readonly faults: RequestFaults
  /** Closes every connection and the listener; idempotent. */
  close(): Promise<void>
}

/** Starts a broker for a test: in memory unless `dataDir` is given, silent, on a free port. */
export async function startTestBroker(options: TestBrokerOptions = {}): Promise<TestBroker> {
  const faults = new RequestFaults()
  const { http, ...rest } = options
  const running = await startBroker({
    logLevel: 'silent',
    ...rest,
    host: '127.0.0.1',
    port: 0,
    httpPort: http ? 0 : undefined,
    faults,
  })
  const broker: TestBroker = {
    bootstrap: running.bootstrap,
    port: running.port,
    httpPort: running.httpPort,
    clusterId: running.clusterId,
    faults,
    close: () => running.close(),
  }
  shareInternals(running, broker)
  return broker
}
