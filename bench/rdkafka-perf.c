/*
 * A librdkafka load generator for Runnel's benchmarks (our own code, built against Debian's
 * librdkafka-dev). Modes:
 *   produce <brokers> <topic> <count> <size> <acks> [compression]
 *       sends <count> records of <size> bytes as fast as librdkafka takes them; prints one
 *       JSON line: records, bytes, seconds, msg/s, MB/s (wall time from first send to last ack).
 *   consume <brokers> <topic> <partitions> <count> [key=value ...]
 *       reads <count> records from the start of partitions 0..n-1 (assign, no group); prints
 *       the same JSON fields.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
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

static int produce(const char *brokers, const char *topic, long count, int size, const char *acks,
                   const char *compression) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", brokers);
  set(conf, "acks", acks);
  set(conf, "linger.ms", "5");
  set(conf, "batch.size", "1000000");
  set(conf, "queue.buffering.max.messages", "2000000");
  set(conf, "queue.buffering.max.kbytes", "2000000");
  set(conf, "compression.codec", compression);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
  char *payload = malloc(size);
  for (int i = 0; i < size; i++) payload[i] = 'a' + (i % 26);
  double start = now();
  for (long i = 0; i < count; i++) {
    for (;;) {
      rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_VALUE(payload, size),
                                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 1);
        continue;
      }
      fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
      return 1;
    }
    if ((i & 0xfff) == 0) rd_kafka_poll(rk, 0);
  }
  rd_kafka_flush(rk, 120000);
  double secs = now() - start;
  printf("{\"mode\":\"produce\",\"records\":%ld,\"failed\":%ld,\"bytes\":%ld,\"seconds\":%.3f,\"msgPerSec\":%.0f,\"mbPerSec\":%.1f}\n",
         delivered, failed, delivered * (long)size, secs, delivered / secs, delivered * (double)size / secs / 1e6);
  rd_kafka_destroy(rk);
  free(payload);
  return failed ? 1 : 0;
}

static int consume(const char *brokers, const char *topic, int partitions, long count, int extra, char **kv) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", brokers);
  set(conf, "group.id", "runnel-bench-unused");
  set(conf, "enable.auto.commit", "false");
  set(conf, "queued.min.messages", "1000000");
  set(conf, "fetch.max.bytes", "52428800");
  set(conf, "max.partition.fetch.bytes", "2097152");
  /* Extra key=value settings override the defaults above. */
  for (int i = 0; i < extra; i++) {
    char *eq = strchr(kv[i], '=');
    if (!eq) continue;
    *eq = 0;
    set(conf, kv[i], eq + 1);
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "%s\n", err);
    return 2;
  }
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
      if (got == 0) start = now();
      got++;
      bytes += m->len;
    }
    rd_kafka_message_destroy(m);
  }
  double secs = now() - start;
  printf("{\"mode\":\"consume\",\"records\":%ld,\"bytes\":%ld,\"seconds\":%.3f,\"msgPerSec\":%.0f,\"mbPerSec\":%.1f}\n",
         got, bytes, secs, got / secs, bytes / secs / 1e6);
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return got == count ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc >= 7 && strcmp(argv[1], "produce") == 0)
    return produce(argv[2], argv[3], atol(argv[4]), atoi(argv[5]), argv[6], argc > 7 ? argv[7] : "none");
  if (argc >= 6 && strcmp(argv[1], "consume") == 0)
    return consume(argv[2], argv[3], atoi(argv[4]), atol(argv[5]), argc - 6, argv + 6);
  fprintf(stderr, "usage: rdkafka-perf produce <brokers> <topic> <count> <size> <acks> [compression]\n"
                  "       rdkafka-perf consume <brokers> <topic> <partitions> <count>\n");
  return 2;
}
