// Public surface of @runnel/registry: the client and the serdes, which a service uses. The
// registry server is `@runnel/registry/server`; each part is also a subpath of its own
// (`/client`, `/serdes`), so a service loads only what it uses (docs/registry.md).
export * from './client.ts'
export * from './serdes.ts'
