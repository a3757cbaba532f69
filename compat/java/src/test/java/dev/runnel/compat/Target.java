package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The broker under test and the clients made for it. The wrapper (compat/java/test/java-clients.test.ts)
 * sets -Dbootstrap (HOST:PORT), -Dtarget (runnel or kafka) and -Dgaps (the known gaps of that target, by
 * name: a test of a gap is skipped there with {@link #assumeNoGap}, so the gap stays visible).
 */
final class Target {
  static final String BOOTSTRAP = setting("bootstrap", "RUNNEL_BOOTSTRAP", "127.0.0.1:9092");
  static final String NAME = setting("target", "RUNNEL_TARGET", "unknown");
  static final Set<String> GAPS =
      Arrays.stream(setting("gaps", "RUNNEL_GAPS", "").split(","))
          .map(String::trim)
          .filter(s -> !s.isEmpty())
          .collect(Collectors.toSet());
  static final Duration TIMEOUT = Duration.ofSeconds(30);

  private Target() {}

  private static String setting(String property, String env, String fallback) {
    String value = System.getProperty(property);
    if (value == null || value.isEmpty()) value = System.getenv(env);
    return value == null || value.isEmpty() ? fallback : value;
  }

  static boolean isRunnel() {
    return NAME.equals("runnel");
  }

  /** Skips the test on a target that lists {@code gap}; {@code finding} says what differs from Kafka. */
  static void assumeNoGap(String gap, String finding) {
    assumeFalse(GAPS.contains(gap), () -> "known gap on " + NAME + " (" + gap + "): " + finding);
  }

  /** A name no other test (or earlier run against the same broker) uses. */
  static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static Admin admin() {
    Map<String, Object> config = new HashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    return Admin.create(config);
  }

  static void createTopic(Admin admin, String name, int partitions, Map<String, String> configs)
      throws Exception {
    admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all().get();
    awaitLeaders(admin, name, partitions);
  }

  /**
   * Waits until every partition's leader answers ListOffsets. Kafka's CreateTopics returns before the
   * broker leads the new partitions: an idempotent producer that writes at once gets
   * NOT_LEADER_OR_FOLLOWER on its first batch and then OUT_OF_ORDER_SEQUENCE_NUMBER on every retry of
   * the next ones until the delivery timeout (seen with Kafka 4.4 on 1 node).
   */
  static void awaitLeaders(Admin admin, String topic, int partitions) throws Exception {
    Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
    for (int p = 0; p < partitions; p++) specs.put(new TopicPartition(topic, p), OffsetSpec.latest());
    eventually(
        "the leaders of " + topic + " answer ListOffsets",
        () -> {
          try {
            admin.listOffsets(specs).all().get();
            return true;
          } catch (ExecutionException e) {
            if (e.getCause() instanceof RetriableException) return false;
            throw e;
          }
        });
  }

  static void createTopic(String name, int partitions) throws Exception {
    try (Admin admin = admin()) {
      createTopic(admin, name, partitions, Map.of());
    }
  }

  static KafkaProducer<String, String> producer(Map<String, Object> overrides) {
    Map<String, Object> config = new HashMap<>();
    config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
    config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
    config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
    config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
    config.putAll(overrides);
    return new KafkaProducer<>(config);
  }

  static KafkaConsumer<String, String> consumer(Map<String, Object> overrides) {
    return new KafkaConsumer<>(consumerConfig(overrides));
  }

  /** String keys and values, from the earliest offset, no auto-commit; then the overrides. */
  static Map<String, Object> consumerConfig(Map<String, Object> overrides) {
    Map<String, Object> config = new HashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, BOOTSTRAP);
    config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.putAll(overrides);
    return config;
  }

  /** Polls until {@code count} records came (or fails after {@link #TIMEOUT}). */
  static List<ConsumerRecord<String, String>> pollAtLeast(KafkaConsumer<String, String> consumer, int count) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (records.size() < count) {
      if (System.nanoTime() > deadline) {
        fail("got " + records.size() + " of " + count + " records in " + TIMEOUT);
      }
      consumer.poll(Duration.ofMillis(200)).forEach(records::add);
    }
    return records;
  }

  /** Polls for {@code window} and returns everything that came. */
  static List<ConsumerRecord<String, String>> pollFor(KafkaConsumer<String, String> consumer, Duration window) {
    List<ConsumerRecord<String, String>> records = new ArrayList<>();
    long deadline = System.nanoTime() + window.toNanos();
    while (System.nanoTime() < deadline) consumer.poll(Duration.ofMillis(100)).forEach(records::add);
    return records;
  }

  /** Waits (up to {@link #TIMEOUT}) for a condition the broker reaches asynchronously. */
  static void eventually(String what, ThrowingCheck check) throws Exception {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    for (; ; ) {
      if (check.holds()) return;
      if (System.nanoTime() > deadline) fail("not within " + TIMEOUT + ": " + what);
      Thread.sleep(100);
    }
  }

  @FunctionalInterface
  interface ThrowingCheck {
    boolean holds() throws Exception;
  }
}
