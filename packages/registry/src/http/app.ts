// The REST API on fastify: Confluent's paths, bodies, status codes and `{error_code, message}`
// errors. Bodies are read as JSON whatever their content type says (Confluent accepts its own
// vnd types, application/json and application/octet-stream); answers are
// `application/vnd.schemaregistry.v1+json` unless the client asks for plain `application/json`.

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { Leadership } from '../election/leadership.ts'
import { isRegistryError, RegistryError } from '../errors.ts'
import type { RegistryService } from '../service/registry-service.ts'
import { writeOrForward } from './forward.ts'
import { compatibilityRoutes } from './routes/compatibility.ts'
import { configRoutes } from './routes/config.ts'
import type { Method, RouteContext, Routes } from './routes/route.ts'
import { schemaRoutes } from './routes/schemas.ts'
import { subjectRoutes } from './routes/subjects.ts'

export const SCHEMA_REGISTRY_CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

export interface RegistryAppOptions {
  service: RegistryService
  leadership: Leadership
  /** Catches this instance up with the log (after a forwarded write). */
  sync: () => Promise<void>
  /** How long a write waits for a leader to be elected. Default 10 s. */
  leaderWaitMs?: number
  /** How long a forwarded write may take. Default 30 s. */
  forwardTimeoutMs?: number
  /** Largest request body accepted, in bytes. Default 16 MiB. */
  bodyLimit?: number
  /** fastify's logger option. Off by default. */
  logger?: boolean | object
}

const METHODS: Method[] = ['GET', 'POST', 'PUT', 'DELETE']

function responseType(request: FastifyRequest): string {
  const accept = request.headers.accept ?? ''
  if (accept.includes('application/vnd.schemaregistry')) return SCHEMA_REGISTRY_CONTENT_TYPE
  if (accept.includes('application/json')) return 'application/json'
  return SCHEMA_REGISTRY_CONTENT_TYPE
}

function sendError(reply: FastifyReply, error: RegistryError): FastifyReply {
  return reply.code(error.status).type(SCHEMA_REGISTRY_CONTENT_TYPE).send(error.toJSON())
}

// fastify's own errors (bad URL encoding, body too large...) mapped onto the table of errors.
function fromFastifyError(error: { code?: string; statusCode?: number; message: string }): RegistryError {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new RegistryError('PAYLOAD_TOO_LARGE', `Request body is too large: ${error.message}`)
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new RegistryError('BAD_REQUEST', error.message)
  }
  return new RegistryError('INTERNAL', `Internal Server Error: ${error.message}`, { cause: error })
}

export function buildRegistryApp(options: RegistryAppOptions): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? 16 * 1024 * 1024 })
  const forward = {
    leadership: options.leadership,
    leaderWaitMs: options.leaderWaitMs ?? 10_000,
    timeoutMs: options.forwardTimeoutMs ?? 30_000,
    sync: options.sync,
  }

  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (text.trim() === '') {
      done(null, undefined)
      return
    }
    try {
      done(null, JSON.parse(text))
    } catch (error) {
      done(new RegistryError('BAD_REQUEST', `Malformed JSON body: ${(error as Error).message}`), undefined)
    }
  })

  app.addHook('onRequest', async (request, reply) => {
    reply.type(responseType(request))
  })

  app.setErrorHandler((error, request, reply) => {
    const registryError = isRegistryError(error)
      ? error
      : fromFastifyError(error as Error & { code?: string })
    if (registryError.status >= 500) request.log.error({ err: error }, registryError.message)
    return sendError(reply, registryError)
  })

  app.setNotFoundHandler((_request, reply) =>
    sendError(reply, new RegistryError('NOT_FOUND', 'HTTP 404 Not Found')),
  )

  const context: RouteContext = {
    service: options.service,
    write: (request, reply, run) => writeOrForward(forward, request, reply, run),
  }
  const routes: Routes = {
    '/': { GET: async () => ({}) },
    ...subjectRoutes(context),
    ...schemaRoutes(context),
    ...configRoutes(context),
    ...compatibilityRoutes(context),
  }
  for (const [url, handlers] of Object.entries(routes)) {
    app.route({
      method: [...METHODS, 'PATCH'],
      url,
      handler: async (request, reply) => {
        const handler = handlers[request.method as Method]
        if (handler === undefined) {
          throw new RegistryError('METHOD_NOT_ALLOWED', 'HTTP 405 Method Not Allowed')
        }
        return handler(request, reply)
      },
    })
  }
  return app
}
