// The `runnel` command from the sources, for the repository's own tests and `npm run runnel:dev`:
// node --conditions=runnel-source --import tsx packages/cli/src/bin.ts <args>. Users run
// bin/runnel.js, which loads the built package.
import { main } from './main.ts'

process.exitCode = await main(process.argv.slice(2))
