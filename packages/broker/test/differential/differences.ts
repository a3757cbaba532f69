// The differences the differential check accepts between Runnel's answers and Apache Kafka
// 4.4's, each with the reason. docs/compatibility.md ("Differential check against Kafka 4.4")
// lists the same ids and reasons; differential.test.ts fails on a difference not listed here,
// and on an entry here that no longer matches anything (so the list stays true).

export interface ExplainedDifference {
  /** Named in docs/compatibility.md. */
  id: string
  /** Steps of script.ts it applies to. */
  step: RegExp
  /** Paths (normalize.ts) it applies to. */
  path: RegExp
  why: string
}

export const EXPLAINED: readonly ExplainedDifference[] = [
  {
    id: 'min-isr-source',
    step: /^(create topic|describe configs of the topic)/,
    path: /configs\[name=min\.insync\.replicas\]\.configSource$/,
    why: 'Kafka 4 writes min.insync.replicas as a cluster-wide dynamic default when KRaft storage is formatted, so it reports DYNAMIC_DEFAULT_BROKER_CONFIG (3); Runnel has no dynamic configs and reports DEFAULT_CONFIG (5). The value (1) is the same.',
  },
  {
    id: 'harness-static-config',
    step: /^describe configs of the broker$/,
    path: /configs\[name=default\.replication\.factor\]\.configSource$/,
    why: "The test harness sets default.replication.factor in Kafka's server.properties (STATIC_BROKER_CONFIG, 4); Runnel's is Kafka's default (DEFAULT_CONFIG, 5). Same value.",
  },
  {
    id: 'broker-configs-read-only',
    step: /^describe configs of the broker$/,
    path: /configs\[name=(log\.cleanup\.policy|log\.retention\.ms|log\.segment\.bytes|message\.max\.bytes)\]\.readOnly$/,
    why: 'Kafka can change these cluster-wide defaults at run time (IncrementalAlterConfigs on the broker resource); Runnel takes them at start (--config) and reports every broker setting read-only, refusing broker alterations.',
  },
]
