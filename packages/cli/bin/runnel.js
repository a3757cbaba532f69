#!/usr/bin/env node
// The `runnel` command. Sources are TypeScript run through tsx's loader: there is no build step.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/main.ts')
process.exitCode = await main(process.argv.slice(2))
