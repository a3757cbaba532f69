// A registry app on an in-memory store, driven through fastify's inject (no sockets).

import type { InjectOptions } from 'fastify'
import { singleNode } from '../../src/election/leadership.ts'
import { buildRegistryApp } from '../../src/http/app.ts'
import { RegistryService } from '../../src/service/registry-service.ts'
import { createMemoryStore } from '../../src/store/memory-store.ts'

export interface Answer {
  status: number
  body: unknown
  text: string
  contentType: string | undefined
}

export function testApp() {
  const store = createMemoryStore()
  const service = new RegistryService(store)
  const app = buildRegistryApp({ service, leadership: singleNode(), sync: () => store.sync() })
  const call = async (
    method: InjectOptions['method'],
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    const response = await app.inject({
      method,
      url,
      payload,
      headers:
        payload === undefined
          ? headers
          : { 'content-type': 'application/vnd.schemaregistry.v1+json', ...headers },
    })
    let parsed: unknown
    try {
      parsed = JSON.parse(response.body)
    } catch {
      parsed = undefined
    }
    return {
      status: response.statusCode,
      body: parsed,
      text: response.body,
      contentType: response.headers['content-type'] as string | undefined,
    }
  }
  return { app, store, service, call }
}
