// Public surface of the `runnel` package: the command itself, for programs that run it in-process
// (`await main(['topic', 'list'])` answers with the exit code).
export { main } from './main.ts'
