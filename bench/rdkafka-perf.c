/*
 * A librdkafka load generator for Runnel's benchmarks (our own code, built against Debian's
 * librdkafka-dev). Modes:
 *   produce <brokers> <topic> <count> <size> <acks> [compression] [partitions]
 *       sends <count> records of <size> bytes as fast as librdkafka takes them; prints one
 *       JSON line: records, bytes, seconds, msg/s, MB/s (wall time from first send to last ack).
 *       With [partitions], record i goes to partition i % partitions (an even spread); without,
 *       librdkafka's partitioner chooses.
 *   consume <brokers> <topic> <partitions> <count> [key=value ...]
 *       reads <count> records from the start of partitions 0..n-1 (assign, no group); prints
 *       {"start":true} at the first record, then the same JSON fields, timed from there.
 *   latency <brokers> <topic> <rate> <count> <size> <warmup>
 *       sends <count> records of <size> bytes at <rate> per second (linger.ms=0, acks=1), each
 *       stamped with its scheduled send time (CLOCK_MONOTONIC), while a consumer thread reads
 *       partition 0 (assign: it joins no group, though librdkafka still looks up the coordinator
 *       of its group.id) and measures receive - scheduled send; stamping the
 *       schedule rather than the actual send keeps a stalled client in the figures. The first
 *       <warmup> records are not counted. Prints percentiles in milliseconds.
 *   txn-produce <brokers> <topic> <count> <size> <per-transaction> [key=value ...]
 *       an idempotent producer (enable.idempotence=true, hence acks=all) with the settings of
 *       `produce`. With <per-transaction> > 0 it is transactional: init_transactions, then
 *       begin_transaction, <per-transaction> produce() calls, commit_transaction, until <count>
 *       records are committed; with 0, the same producer without transactions. Extra key=value
 *       settings override the defaults (as for `consume`). Prints
 *       {"start":true} when it sends its first record (after init_transactions), then the JSON
 *       line of `produce` plus the number of transactions.
 *   group <brokers> <topic> <group> [key=value ...]
 *       a consumer-group member: subscribe() to <topic> in <group> (from the earliest offset
 *       when the group has no committed offset; enable.partition.eof), with the fetch settings of
 *       `consume`. Prints a line for each assignment and revocation, {"start":true} at its first
 *       record, and an "eof" line with its counts whenever every partition it owns has been read
 *       to its end (its last record reached the partition's high watermark, or
 *       PARTITION_EOF). Leaves the group (rd_kafka_consumer_close) when its standard input closes,
 *       then prints its totals. Times are CLOCK_MONOTONIC nanoseconds, as in `latency`.
 *   version
 *       prints {"mode":"version","librdkafka":...}: the library this binary runs with.
 *   mock <partitions> <topic> ...
 *       hosts librdkafka's mock cluster (one broker) with the topics created, prints
 *       {"mode":"mock","bootstrap":...} and serves until its standard input closes.
 * Every JSON line carries cpuSeconds: the CPU time (user + system, all threads) of this process.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static long delivered = 0, failed = 0;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) failed++;
  else delivered++;
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "config %s=%s: %s\n", k, v, err);
    exit(2);
  }
}

/* Extra key=value settings from the command line, over the defaults set before. */
static void set_extra(rd_kafka_conf_t *conf, int extra, char **kv) {
  for (int i = 0; i < extra; i++) {
    char *eq = strchr(kv[i], '=');
    if (!eq) continue;
    *eq = 0;
    set(conf, kv[i], eq + 1);
  }
}

/* The producer settings of `produce` and `txn-produce`: large batches and a deep queue. */
static void set_batching(rd_kafka_conf_t *conf) {
  set(conf, "linger.ms", "5");
  set(conf, "batch.size", "1000000");
  set(conf, "queue.buffering.max.messages", "2000000");
  set(conf, "queue.buffering.max.kbytes", "2000000");
}

/* The fetch settings of `consume` and `group`. */
static void set_fetching(rd_kafka_conf_t *conf) {
  set(conf, "queued.min.messages", "1000000");
  set(conf, "fetch.max.bytes", "52428800");
  set(conf, "max.partition.fetch.bytes", "2097152");
}

/* A consumer that assigns its partitions: librdkafka wants a group.id, which it never joins. */
static void set_no_group(rd_kafka_conf_t *conf) {
  set(conf, "group.id", "runnel-bench-unused");
  set(conf, "enable.auto.commit", "false");
}

/* rd_kafka_new; NULL, with the reason on stderr, when it fails. */
static rd_kafka_t *new_client(rd_kafka_type_t type, rd_kafka_conf_t *conf) {
  char err[512];
  rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof err);
  if (!rk) fprintf(stderr, "%s\n", err);
  return rk;
}

/* A record value of <size> bytes: a..z repeated. */
static char *new_payload(int size) {
  char *payload = malloc(size);
  for (int i = 0; i < size; i++) payload[i] = 'a' + (i % 26);
  return payload;
}

/* Hands one record to librdkafka, polling while its queue is full; 1, with the error on stderr,
 * when it refuses the record. */
static int send_record(rd_kafka_t *rk, const char *topic, int32_t partition, char *payload, int size) {
  for (;;) {
    rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                              RD_KAFKA_V_VALUE(payload, size),
                                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk, 1);
      continue;
    }
    fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
    return 1;
  }
}

static int produce(const char *brokers, const char *topic, long count, int size, const char *acks,
                   const char *compression, int partitions) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", brokers);
  set(conf, "acks", acks);
  set_batching(conf);
  set(conf, "compression.codec", compression);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, conf);
  if (!rk) return 2;
  char *payload = new_payload(size);
  double start = now();
  for (long i = 0; i < count; i++) {
    int32_t partition = partitions > 0 ? (int32_t)(i % partitions) : RD_KAFKA_PARTITION_UA;
    if (send_record(rk, topic, partition, payload, size)) return 1;
    if ((i & 0xfff) == 0) rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 120000);
  double secs = now() - start;
  printf("{\"mode\":\"produce\",\"records\":%ld,\"failed\":%ld,\"bytes\":%ld,\"seconds\":%.3f,\"msgPerSec\":%.0f,\"mbPerSec\":%.1f,"
         "\"cpuSeconds\":%.3f}\n",
         delivered, failed, delivered * (long)size, secs, delivered / secs, delivered * (double)size / secs / 1e6,
         cpu_seconds());
  rd_kafka_destroy(rk);
  free(payload);
  return failed ? 1 : 0;
}

static int consume(const char *brokers, const char *topic, int partitions, long count, int extra, char **kv) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", brokers);
  set_no_group(conf);
  set_fetching(conf);
  set_extra(conf, extra, kv);
  rd_kafka_t *rk = new_client(RD_KAFKA_CONSUMER, conf);
  if (!rk) return 2;
  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; p++)
    rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(rk, list);
  long got = 0, bytes = 0;
  double start = 0;
  double deadline = now() + 120;
  while (got < count && now() < deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
    if (!m) continue;
    if (!m->err) {
      if (got == 0) {
        start = now();
        printf("{\"start\":true}\n"); /* the harness measures the broker from here */
        fflush(stdout);
      }
      got++;
      bytes += m->len;
    }
    rd_kafka_message_destroy(m);
  }
  double secs = now() - start;
  printf("{\"mode\":\"consume\",\"records\":%ld,\"bytes\":%ld,\"seconds\":%.3f,\"msgPerSec\":%.0f,\"mbPerSec\":%.1f,"
         "\"cpuSeconds\":%.3f}\n",
         got, bytes, secs, got / secs, bytes / secs / 1e6, cpu_seconds());
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return got == count ? 0 : 1;
}

struct latency_run {
  rd_kafka_t *consumer;
  long count, warmup, got, counted;
  int64_t *nanos; /* receive - scheduled send of each counted record */
  double deadline;
};

static void *latency_consume(void *arg) {
  struct latency_run *run = arg;
  while (run->got < run->count && now() < run->deadline) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(run->consumer, 100);
    if (!m) continue;
    if (!m->err && m->len >= 16) {
      int64_t received = now_ns(), sent, seq;
      memcpy(&sent, m->payload, 8);
      memcpy(&seq, (char *)m->payload + 8, 8);
      run->got++;
      if (seq >= run->warmup) run->nanos[run->counted++] = received - sent;
    }
    rd_kafka_message_destroy(m);
  }
  return NULL;
}

static int cmp_int64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least q of the samples at or below it. */
static double percentile_ms(const int64_t *sorted, long n, double q) {
  if (n == 0) return 0;
  long rank = (long)(q * n + 0.999999999);
  if (rank < 1) rank = 1;
  return sorted[rank - 1] / 1e6;
}

static int latency(const char *brokers, const char *topic, int rate, long count, int size, long warmup) {
  if (size < 16) size = 16;
  rd_kafka_conf_t *cconf = rd_kafka_conf_new();
  set(cconf, "bootstrap.servers", brokers);
  set_no_group(cconf);
  rd_kafka_t *consumer = new_client(RD_KAFKA_CONSUMER, cconf);
  if (!consumer) return 2;
  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(consumer, list);

  rd_kafka_conf_t *pconf = rd_kafka_conf_new();
  set(pconf, "bootstrap.servers", brokers);
  set(pconf, "acks", "1");
  set(pconf, "linger.ms", "0");
  rd_kafka_conf_set_dr_msg_cb(pconf, on_delivery);
  rd_kafka_t *producer = new_client(RD_KAFKA_PRODUCER, pconf);
  if (!producer) return 2;

  struct latency_run run = {consumer, count, warmup, 0, 0, calloc(count, sizeof(int64_t)), 0};
  run.deadline = now() + (double)count / rate + 30;
  pthread_t thread;
  pthread_create(&thread, NULL, latency_consume, &run);

  char *payload = new_payload(size);
  int64_t start = now_ns() + 200000000; /* let both clients connect first */
  for (long i = 0; i < count; i++) {
    int64_t due = start + (int64_t)(i * (1e9 / rate));
    struct timespec ts = {due / 1000000000, due % 1000000000};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
    }
    int64_t seq = i;
    memcpy(payload, &due, 8);
    memcpy(payload + 8, &seq, 8);
    if (send_record(producer, topic, 0, payload, size)) return 1;
    rd_kafka_poll(producer, 0);
  }
  rd_kafka_flush(producer, 30000);
  pthread_join(thread, NULL);
  qsort(run.nanos, run.counted, sizeof(int64_t), cmp_int64);
  printf("{\"mode\":\"latency\",\"records\":%ld,\"counted\":%ld,\"failed\":%ld,\"rate\":%d,\"p50Ms\":%.3f,\"p99Ms\":%.3f,"
         "\"p999Ms\":%.3f,\"maxMs\":%.3f,\"cpuSeconds\":%.3f}\n",
         run.got, run.counted, failed, rate, percentile_ms(run.nanos, run.counted, 0.5),
         percentile_ms(run.nanos, run.counted, 0.99), percentile_ms(run.nanos, run.counted, 0.999),
         run.counted ? run.nanos[run.counted - 1] / 1e6 : 0, cpu_seconds());
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_destroy(producer);
  free(run.nanos);
  free(payload);
  return run.got == count && !failed ? 0 : 1;
}

static int txn_fail(const char *what, rd_kafka_error_t *error) {
  fprintf(stderr, "%s: %s\n", what, rd_kafka_error_string(error));
  rd_kafka_error_destroy(error);
  return 1;
}

static int txn_produce(const char *brokers, const char *topic, long count, int size, int per_txn, int extra,
                       char **kv) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", brokers);
  set(conf, "enable.idempotence", "true");
  set_batching(conf);
  if (per_txn > 0) {
    char id[256];
    snprintf(id, sizeof id, "runnel-bench-%s-%ld", topic, (long)getpid());
    set(conf, "transactional.id", id);
  }
  set_extra(conf, extra, kv);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, conf);
  if (!rk) return 2;
  if (per_txn > 0) {
    rd_kafka_error_t *e = rd_kafka_init_transactions(rk, 60000);
    if (e) return txn_fail("init_transactions", e);
  }
  /* Learn the topic's partitions first: otherwise the first transaction waits for librdkafka's
   * next metadata refresh (up to a second), which is start-up, not what a transaction costs. */
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  const struct rd_kafka_metadata *md;
  rd_kafka_resp_err_t me = rd_kafka_metadata(rk, 0, rkt, &md, 30000);
  if (me) {
    fprintf(stderr, "metadata: %s\n", rd_kafka_err2str(me));
    return 1;
  }
  rd_kafka_metadata_destroy(md);
  char *payload = new_payload(size);
  long transactions = 0;
  printf("{\"start\":true}\n");
  fflush(stdout);
  double start = now();
  for (long i = 0; i < count;) {
    long upto = per_txn > 0 ? i + per_txn : count;
    if (upto > count) upto = count;
    if (per_txn > 0) {
      rd_kafka_error_t *e = rd_kafka_begin_transaction(rk);
      if (e) return txn_fail("begin_transaction", e);
    }
    for (; i < upto; i++) {
      if (send_record(rk, topic, RD_KAFKA_PARTITION_UA, payload, size)) return 1;
      if ((i & 0xfff) == 0) rd_kafka_poll(rk, 0);
    }
    if (per_txn > 0) {
      /* commit_transaction flushes the transaction's records, then ends it (EndTxn). */
      rd_kafka_error_t *e = rd_kafka_commit_transaction(rk, 60000);
      if (e) return txn_fail("commit_transaction", e);
      transactions++;
    }
  }
  rd_kafka_flush(rk, 120000);
  double secs = now() - start;
  printf("{\"mode\":\"txn-produce\",\"records\":%ld,\"failed\":%ld,\"bytes\":%ld,\"seconds\":%.3f,\"msgPerSec\":%.0f,"
         "\"mbPerSec\":%.1f,\"transactions\":%ld,\"perTransaction\":%d,\"cpuSeconds\":%.3f}\n",
         delivered, failed, delivered * (long)size, secs, delivered / secs, delivered * (double)size / secs / 1e6,
         transactions, per_txn, cpu_seconds());
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  free(payload);
  return failed || delivered != count ? 1 : 0;
}

/* A group member's view: the partitions it owns now and which of them it has read to the end. */
#define MAX_PARTITIONS 1024
struct member {
  int owned[MAX_PARTITIONS], eof[MAX_PARTITIONS];
  int owned_count;
  long records, bytes;
  int64_t first_ns, last_ns;
  double cpu_at_first;
};
static struct member self;
/* The high watermark each partition had at the last fetch (librdkafka's cache). */
static int64_t high[MAX_PARTITIONS];

static void print_partitions(rd_kafka_t *rk, const char *event, const rd_kafka_topic_partition_list_t *parts) {
  printf("{\"e\":\"%s\",\"t\":%lld,\"protocol\":\"%s\",\"partitions\":[", event, (long long)now_ns(),
         rd_kafka_rebalance_protocol(rk));
  for (int i = 0; i < parts->cnt; i++) printf("%s%d", i ? "," : "", parts->elems[i].partition);
  printf("]}\n");
  fflush(stdout);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
  (void)opaque;
  memset(self.owned, 0, sizeof self.owned);
  memset(self.eof, 0, sizeof self.eof);
  memset(high, 0, sizeof high);
  self.owned_count = 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    for (int i = 0; i < parts->cnt; i++) {
      int p = parts->elems[i].partition;
      if (p >= 0 && p < MAX_PARTITIONS && !self.owned[p]) {
        self.owned[p] = 1;
        self.owned_count++;
      }
    }
    rd_kafka_assign(rk, parts);
    print_partitions(rk, "assigned", parts);
  } else {
    print_partitions(rk, "revoked", parts);
    rd_kafka_assign(rk, NULL);
  }
}

static void print_eof_or_totals(const char *event) {
  printf("{\"e\":\"%s\",\"records\":%ld,\"bytes\":%ld,\"firstNs\":%lld,\"lastNs\":%lld,\"cpuSeconds\":%.3f}\n", event,
         self.records, self.bytes, (long long)self.first_ns, (long long)self.last_ns,
         self.records ? cpu_seconds() - self.cpu_at_first : 0);
  fflush(stdout);
}

/* Partition p is read to its end; once all it owns are, prints an "eof" line with its counts. */
static void partition_read(int p) {
  if (p < 0 || p >= MAX_PARTITIONS || !self.owned[p] || self.eof[p]) return;
  self.eof[p] = 1;
  for (int i = 0; i < MAX_PARTITIONS; i++)
    if (self.owned[i] && !self.eof[i]) return;
  print_eof_or_totals("eof");
}

/* True once standard input has reached its end (the harness closed it). */
static int stdin_closed(void) {
  struct pollfd pfd = {0, POLLIN, 0};
  if (poll(&pfd, 1, 0) <= 0) return 0;
  char buf[256];
  return read(0, buf, sizeof buf) <= 0;
}

static int group(const char *brokers, const char *topic, const char *group_id, int extra, char **kv) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", brokers);
  set(conf, "group.id", group_id);
  set(conf, "auto.offset.reset", "earliest");
  set(conf, "enable.partition.eof", "true");
  set_fetching(conf);
  set_extra(conf, extra, kv);
  rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
  rd_kafka_t *rk = new_client(RD_KAFKA_CONSUMER, conf);
  if (!rk) return 2;
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *subscription = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(subscription, topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, subscription);
  rd_kafka_topic_partition_list_destroy(subscription);
  if (e) {
    fprintf(stderr, "subscribe: %s\n", rd_kafka_err2str(e));
    return 2;
  }
  printf("{\"e\":\"subscribed\",\"t\":%lld}\n", (long long)now_ns());
  fflush(stdout);
  for (long polls = 1;; polls++) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 10);
    if (!m) {
      if (stdin_closed()) break;
      continue;
    }
    if ((polls & 0xfff) == 0 && stdin_closed()) {
      rd_kafka_message_destroy(m);
      break;
    }
    if (!m->err) {
      if (self.records == 0) {
        self.first_ns = now_ns();
        self.cpu_at_first = cpu_seconds();
        printf("{\"start\":true}\n");
        fflush(stdout);
      }
      self.records++;
      self.bytes += m->len;
      self.last_ns = now_ns();
      /* At the last record of a partition (its offset reaches the high watermark of the fetch
       * that brought it), the partition is read to its end: no need to wait for the
       * PARTITION_EOF that an empty fetch brings fetch.wait.max.ms later. */
      int p = m->partition;
      if (p >= 0 && p < MAX_PARTITIONS && m->offset + 1 >= high[p]) {
        int64_t low;
        if (!rd_kafka_get_watermark_offsets(rk, topic, p, &low, &high[p]) && high[p] > 0 && m->offset + 1 >= high[p])
          partition_read(p);
      }
    } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      partition_read(m->partition);
    } else {
      printf("{\"e\":\"error\",\"t\":%lld,\"error\":\"%s\"}\n", (long long)now_ns(), rd_kafka_err2str(m->err));
      fflush(stdout);
    }
    rd_kafka_message_destroy(m);
  }
  printf("{\"e\":\"leaving\",\"t\":%lld}\n", (long long)now_ns());
  fflush(stdout);
  rd_kafka_consumer_close(rk); /* revokes (the rebalance callback), then LeaveGroup */
  printf("{\"e\":\"left\",\"t\":%lld}\n", (long long)now_ns());
  print_eof_or_totals("totals");
  printf("{\"mode\":\"group\",\"records\":%ld,\"bytes\":%ld}\n", self.records, self.bytes);
  rd_kafka_destroy(rk);
  return 0;
}

static int mock(int partitions, int topics, char **names) {
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "log_level", "4"); /* this handle only hosts the cluster: no notice about bootstrap.servers */
  rd_kafka_t *rk = new_client(RD_KAFKA_PRODUCER, conf);
  if (!rk) return 2;
  rd_kafka_mock_cluster_t *mcluster = rd_kafka_mock_cluster_new(rk, 1);
  if (!mcluster) {
    fprintf(stderr, "mock cluster: could not start\n");
    return 2;
  }
  for (int i = 0; i < topics; i++) {
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mcluster, names[i], partitions, 1);
    if (e) {
      fprintf(stderr, "mock topic %s: %s\n", names[i], rd_kafka_err2str(e));
      return 2;
    }
  }
  printf("{\"mode\":\"mock\",\"bootstrap\":\"%s\"}\n", rd_kafka_mock_cluster_bootstraps(mcluster));
  fflush(stdout);
  char buf[256];
  while (read(0, buf, sizeof buf) > 0) {
  }
  rd_kafka_mock_cluster_destroy(mcluster);
  rd_kafka_destroy(rk);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 7 && strcmp(argv[1], "produce") == 0)
    return produce(argv[2], argv[3], atol(argv[4]), atoi(argv[5]), argv[6], argc > 7 ? argv[7] : "none",
                   argc > 8 ? atoi(argv[8]) : 0);
  if (argc >= 6 && strcmp(argv[1], "consume") == 0)
    return consume(argv[2], argv[3], atoi(argv[4]), atol(argv[5]), argc - 6, argv + 6);
  if (argc >= 8 && strcmp(argv[1], "latency") == 0)
    return latency(argv[2], argv[3], atoi(argv[4]), atol(argv[5]), atoi(argv[6]), atol(argv[7]));
  if (argc >= 7 && strcmp(argv[1], "txn-produce") == 0)
    return txn_produce(argv[2], argv[3], atol(argv[4]), atoi(argv[5]), atoi(argv[6]), argc - 7, argv + 7);
  if (argc >= 5 && strcmp(argv[1], "group") == 0) return group(argv[2], argv[3], argv[4], argc - 5, argv + 5);
  if (argc >= 2 && strcmp(argv[1], "version") == 0) {
    printf("{\"mode\":\"version\",\"librdkafka\":\"%s\"}\n", rd_kafka_version_str());
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "mock") == 0) return mock(atoi(argv[2]), argc - 3, argv + 3);
  fprintf(stderr, "usage: rdkafka-perf produce <brokers> <topic> <count> <size> <acks> [compression] [partitions]\n"
                  "       rdkafka-perf consume <brokers> <topic> <partitions> <count> [key=value ...]\n"
                  "       rdkafka-perf latency <brokers> <topic> <rate> <count> <size> <warmup>\n"
                  "       rdkafka-perf txn-produce <brokers> <topic> <count> <size> <per-transaction> [key=value ...]\n"
                  "       rdkafka-perf group <brokers> <topic> <group> [key=value ...]\n"
                  "       rdkafka-perf version\n"
                  "       rdkafka-perf mock <partitions> <topic> ...\n");
  return 2;
}
