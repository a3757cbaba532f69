// Apache Kafka's jars, fetched from Maven Central with `mvn dependency:copy-dependencies` on
// tools/kafka/pom.xml into a cache outside the repository. installed.json beside them lists the
// jars and the hash of the pom they came from: while both still match, nothing is fetched again
// (a second install is offline and takes milliseconds).
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

export const KAFKA_VERSION = '4.4.0'
export const POM = new URL('../pom.xml', import.meta.url).pathname
const MARKER = 'installed.json'
/** Kafka 4 brokers need Java 17 or later. */
const MIN_JAVA = 17

/** Where the jars live: RUNNEL_KAFKA_HOME, or ~/.cache/runnel/kafka-4.4.0. */
export function kafkaHome(): string {
  return process.env.RUNNEL_KAFKA_HOME || join(homedir(), '.cache/runnel', `kafka-${KAFKA_VERSION}`)
}

export interface Installation {
  kafkaVersion: string
  home: string
  /** The folder of jars: the classpath is `<libs>/*`. */
  libs: string
  jars: string[]
}

interface Marker {
  kafkaVersion: string
  pomSha256: string
  installedAt: string
  jars: string[]
}

function pomSha256(): string {
  return createHash('sha256').update(readFileSync(POM)).digest('hex')
}

/** The installation in `home` when it is complete and made from the current pom, else undefined. */
export function readInstallation(home = kafkaHome()): Installation | undefined {
  let marker: Marker
  try {
    marker = JSON.parse(readFileSync(join(home, MARKER), 'utf8'))
  } catch {
    return undefined
  }
  const libs = join(home, 'libs')
  if (marker.kafkaVersion !== KAFKA_VERSION || marker.pomSha256 !== pomSha256()) return undefined
  if (!marker.jars.every((jar) => existsSync(join(libs, jar)))) return undefined
  return { kafkaVersion: marker.kafkaVersion, home, libs, jars: marker.jars }
}

/**
 * Fetches the jars unless they are already there. Maven writes into a scratch folder that is
 * renamed into place once complete, so an interrupted install leaves no half-filled libs/.
 */
export async function installKafka(
  options: { home?: string; log?: (line: string) => void } = {},
): Promise<Installation & { fetched: boolean }> {
  const home = options.home ?? kafkaHome()
  const found = readInstallation(home)
  if (found) return { ...found, fetched: false }

  mkdirSync(home, { recursive: true })
  const scratch = join(home, `libs.partial-${process.pid}`)
  rmSync(scratch, { recursive: true, force: true })
  options.log?.(`fetching Apache Kafka ${KAFKA_VERSION} with Maven into ${home}`)
  const args = [
    '-q',
    '-B',
    '-f',
    POM,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${scratch}`,
    '-DincludeScope=runtime',
  ]
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.env.RUNNEL_MVN || 'mvn', args, { stdio: ['ignore', 'inherit', 'inherit'] })
    child.once('error', reject)
    child.once('exit', resolve)
  }).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`cannot run Maven (mvn): ${error.message}`, { cause: error })
  })
  if (code !== 0) {
    rmSync(scratch, { recursive: true, force: true })
    throw new Error(`mvn ${args.join(' ')} exited with ${code}`)
  }

  const libs = join(home, 'libs')
  rmSync(libs, { recursive: true, force: true })
  renameSync(scratch, libs)
  const jars = readdirSync(libs)
    .filter((name) => name.endsWith('.jar'))
    .sort()
  const marker: Marker = {
    kafkaVersion: KAFKA_VERSION,
    pomSha256: pomSha256(),
    installedAt: new Date().toISOString(),
    jars,
  }
  writeFileSync(join(home, MARKER), JSON.stringify(marker, null, 2) + '\n')
  return { kafkaVersion: KAFKA_VERSION, home, libs, jars, fetched: true }
}

/** The java that runs the nodes: RUNNEL_KAFKA_JAVA, else $JAVA_HOME/bin/java, else java on PATH. */
export function javaCommand(): string {
  if (process.env.RUNNEL_KAFKA_JAVA) return process.env.RUNNEL_KAFKA_JAVA
  if (process.env.JAVA_HOME) return join(process.env.JAVA_HOME, 'bin/java')
  return 'java'
}

/** The major version of `java`, or a sentence saying why there is none usable. */
export function javaVersion(java = javaCommand()): { major: number } | { problem: string } {
  const result = spawnSync(java, ['-version'], { encoding: 'utf8', timeout: 30_000 })
  if (result.error) return { problem: `cannot run ${java}: ${result.error.message}` }
  // `openjdk version "17.0.15" ...` or `java version "1.8.0_402"` on stderr
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr)
  if (result.status !== 0 || !match) return { problem: `${java} -version did not say its version` }
  const major = match[1] === '1' ? Number(match[2]) : Number(match[1])
  if (major < MIN_JAVA)
    return { problem: `${java} is Java ${major}; Kafka ${KAFKA_VERSION} needs ${MIN_JAVA}+` }
  return { major }
}

/** Why Apache Kafka cannot run here (no usable Java, jars not installed), or undefined when it can. */
export function kafkaProblem(): string | undefined {
  const java = javaVersion()
  if ('problem' in java) return `Apache Kafka needs Java: ${java.problem}`
  if (!readInstallation()) {
    return `Apache Kafka ${KAFKA_VERSION} is not installed in ${kafkaHome()}: run \`npm run kafka -- --install\``
  }
  return undefined
}

export function kafkaAvailable(): boolean {
  return kafkaProblem() === undefined
}

/**
 * For `it(name, { skip: kafkaSkipReason() }, ...)`: why the test cannot run, or undefined. With
 * RUNNEL_REQUIRE_KAFKA=1 (CI) it is always undefined, so the test runs and fails loudly rather
 * than skip.
 */
export function kafkaSkipReason(): string | undefined {
  if (process.env.RUNNEL_REQUIRE_KAFKA === '1') return undefined
  return kafkaProblem()
}
