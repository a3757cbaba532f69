package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** KafkaProducer: acks, every codec, keys, headers, timestamps, idempotence (the 4.x default). */
class ProducerTest {
  static final String[] CODECS = {"none", "gzip", "snappy", "lz4", "zstd"};
  static final String[] ACKS = {"0", "1", "all"};
  static final String MATRIX = Target.unique("producer-matrix");
  static final int RECORDS = 60;
  static final long BASE_TIMESTAMP = 1_700_000_000_000L;

  @BeforeAll
  static void topics() throws Exception {
    Target.createTopic(MATRIX, ACKS.length * CODECS.length);
  }

  /** One partition of the matrix topic per (acks, codec). */
  static int partitionOf(String acks, String codec) {
    return List.of(ACKS).indexOf(acks) * CODECS.length + List.of(CODECS).indexOf(codec);
  }

  static String key(int i) {
    return i % 7 == 0 ? null : "key-" + (i % 5);
  }

  /** Null, empty, short and 10 KB (compressible) values. */
  static String value(int i) {
    if (i % 11 == 0) return null;
    if (i % 13 == 0) return "";
    return i % 3 == 0 ? ("value-" + i + "-").repeat(1000) : "value-" + i;
  }

  /** None, one, a repeated name and a null header value. */
  static List<Header> headers(int i) {
    List<Header> headers = new ArrayList<>();
    if (i % 4 == 0) return headers;
    headers.add(new RecordHeader("trace", ("t-" + i).getBytes(StandardCharsets.UTF_8)));
    if (i % 2 == 0) headers.add(new RecordHeader("trace", ("again-" + i).getBytes(StandardCharsets.UTF_8)));
    if (i % 5 == 0) headers.add(new RecordHeader("nothing", null));
    return headers;
  }

  /** Out of order now and then. */
  static long timestamp(int i) {
    return BASE_TIMESTAMP + i * 1000L - (i % 6 == 0 ? 500_000L : 0);
  }

  @ParameterizedTest(name = "acks={0} compression.type={1}")
  @CsvSource({
    "0,none", "0,gzip", "0,snappy", "0,lz4", "0,zstd",
    "1,none", "1,gzip", "1,snappy", "1,lz4", "1,zstd",
    "all,none", "all,gzip", "all,snappy", "all,lz4", "all,zstd",
  })
  void producesAndReadsBackEveryField(String acks, String codec) throws Exception {
    int partition = partitionOf(acks, codec);
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.ACKS_CONFIG, acks);
    config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, codec);
    // idempotence needs acks=all; with acks 0 and 1 it is off
    config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, acks.equals("all"));
    config.put(ProducerConfig.BATCH_SIZE_CONFIG, 64 * 1024);
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<String, String> producer = Target.producer(config)) {
      for (int i = 0; i < RECORDS; i++) {
        sent.add(producer.send(new ProducerRecord<>(MATRIX, partition, timestamp(i), key(i), value(i), headers(i))));
      }
      producer.flush();
    }
    for (int i = 0; i < RECORDS; i++) {
      RecordMetadata metadata = sent.get(i).get();
      assertEquals(partition, metadata.partition());
      if (acks.equals("0")) {
        assertFalse(metadata.hasOffset(), "acks=0: no offset comes back");
      } else {
        assertEquals(i, metadata.offset(), "offset of record " + i);
        assertEquals(timestamp(i), metadata.timestamp());
      }
    }

    TopicPartition tp = new TopicPartition(MATRIX, partition);
    try (KafkaConsumer<String, String> consumer = Target.consumer(Map.of())) {
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      List<ConsumerRecord<String, String>> records = Target.pollAtLeast(consumer, RECORDS);
      assertEquals(RECORDS, records.size());
      for (int i = 0; i < RECORDS; i++) {
        ConsumerRecord<String, String> r = records.get(i);
        assertEquals(i, r.offset());
        assertEquals(key(i), r.key(), "key of " + i);
        assertEquals(value(i), r.value(), "value of " + i);
        assertEquals(timestamp(i), r.timestamp(), "timestamp of " + i);
        assertEquals(TimestampType.CREATE_TIME, r.timestampType());
        List<Header> expected = headers(i);
        Header[] got = r.headers().toArray();
        assertEquals(expected.size(), got.length, "headers of " + i);
        for (int h = 0; h < got.length; h++) {
          assertEquals(expected.get(h).key(), got[h].key());
          assertArrayEquals(expected.get(h).value(), got[h].value());
        }
      }
    }
  }

  @Test
  void logAppendTimeTopicStampsTheBrokersClock() throws Exception {
    String topic = Target.unique("log-append-time");
    try (var admin = Target.admin()) {
      Target.createTopic(admin, topic, 1, Map.of("message.timestamp.type", "LogAppendTime"));
    }
    long before = System.currentTimeMillis();
    RecordMetadata metadata;
    try (KafkaProducer<String, String> producer = Target.producer(Map.of())) {
      metadata = producer.send(new ProducerRecord<>(topic, 0, 1_000L, "k", "v")).get();
    }
    long after = System.currentTimeMillis();
    assertTrue(
        metadata.timestamp() >= before - 1000 && metadata.timestamp() <= after + 1000,
        "the broker's append time, not the record's 1000: " + metadata.timestamp());
    try (KafkaConsumer<String, String> consumer = Target.consumer(Map.of())) {
      TopicPartition tp = new TopicPartition(topic, 0);
      consumer.assign(List.of(tp));
      ConsumerRecord<String, String> r = Target.pollAtLeast(consumer, 1).get(0);
      assertEquals(TimestampType.LOG_APPEND_TIME, r.timestampType());
      assertEquals(metadata.timestamp(), r.timestamp());
    }
  }

  @Test
  void defaultProducerIsIdempotentAndWritesEachRecordOnce() throws Exception {
    String topic = Target.unique("idempotent");
    Target.createTopic(topic, 3);
    int count = 3000;
    // defaults: enable.idempotence=true, acks=all, max.in.flight 5
    Map<String, Object> config = Map.of(ProducerConfig.BATCH_SIZE_CONFIG, 4096);
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<String, String> producer = Target.producer(config)) {
      for (int i = 0; i < count; i++) sent.add(producer.send(new ProducerRecord<>(topic, i % 3, null, "n-" + i)));
      producer.flush();
    }
    long[] next = new long[3];
    for (int i = 0; i < count; i++) {
      RecordMetadata m = sent.get(i).get();
      assertEquals(next[m.partition()]++, m.offset(), "offsets in send order, no gap");
    }
    try (KafkaConsumer<String, String> consumer = Target.consumer(Map.of())) {
      List<TopicPartition> tps = List.of(0, 1, 2).stream().map(p -> new TopicPartition(topic, p)).toList();
      consumer.assign(tps);
      List<ConsumerRecord<String, String>> records = Target.pollAtLeast(consumer, count);
      assertEquals(count, records.size());
      assertEquals(count, records.stream().map(ConsumerRecord::value).distinct().count(), "no duplicates");
      assertNull(records.get(0).key());
    }
  }

  @Test
  void aBatchOverTheTopicsMaxMessageBytesIsRefused() throws Exception {
    String topic = Target.unique("too-large");
    try (var admin = Target.admin()) {
      Target.createTopic(admin, topic, 1, Map.of("max.message.bytes", "10000"));
    }
    Map<String, Object> config = Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none", ProducerConfig.RETRIES_CONFIG, 0);
    try (KafkaProducer<String, String> producer = Target.producer(config)) {
      Exception error =
          assertThrows(
              java.util.concurrent.ExecutionException.class,
              () -> producer.send(new ProducerRecord<>(topic, 0, "k", "x".repeat(20_000))).get());
      assertInstanceOf(RecordTooLargeException.class, error.getCause(), error.toString());
      assertEquals(0L, producer.send(new ProducerRecord<>(topic, 0, "k", "small")).get().offset());
    }
  }

  @Test
  void producingToAnUnknownTopicCreatesIt() throws Exception {
    String topic = Target.unique("auto-created");
    try (KafkaProducer<String, String> producer = Target.producer(Map.of())) {
      RecordMetadata m = producer.send(new ProducerRecord<>(topic, "k", "v")).get();
      assertEquals(0L, m.offset());
      assertEquals(1, producer.partitionsFor(topic).size(), "num.partitions=1");
    }
  }
}
