#!/usr/bin/env node
// The `runnel` command: the built package (dist/), no TypeScript loader at run time.
import { main } from '../dist/index.js'

process.exitCode = await main(process.argv.slice(2))
