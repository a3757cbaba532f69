// The broker's HTTP side port: /health and /metrics (Prometheus text format). Plain node:http:
// two read-only routes do not need a framework, and the broker starts faster without one.
import { createServer, type Server } from 'node:http'
import type { BrokerServices } from '../services.ts'

export interface HttpSidePort {
  readonly port: number
  close(): Promise<void>
}

export function startHttpSidePort(
  broker: Pick<BrokerServices, 'node' | 'topics' | 'metrics' | 'log'>,
  host: string,
  port: number,
): Promise<HttpSidePort> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD' })
      res.end(
        JSON.stringify({ error: 'method not allowed', message: `${req.method} is not allowed on ${path}` }),
      )
      return
    }
    if (path === '/health') {
      // A partition offline after an I/O error makes the broker degraded: 503, and which and why.
      const offline = broker.topics.offlinePartitions()
      res.writeHead(offline.length === 0 ? 200 : 503, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          status: offline.length === 0 ? 'ok' : 'degraded',
          nodeId: broker.node.nodeId,
          clusterId: broker.node.clusterId,
          topics: broker.topics.list().length,
          offlinePartitions: offline,
        }),
      )
      return
    }
    if (path === '/metrics') {
      broker.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': broker.metrics.registry.contentType })
          res.end(text)
        },
        (err: unknown) => {
          broker.log.error({ err }, 'metrics failed')
          res.writeHead(500, { 'content-type': 'text/plain' })
          res.end('metrics failed\n')
        },
      )
      return
    }
    res.writeHead(404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ error: 'not found', message: `no route ${path}; try /health or /metrics` }))
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      const address = server.address()
      resolve({
        port: typeof address === 'object' && address ? address.port : port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}
