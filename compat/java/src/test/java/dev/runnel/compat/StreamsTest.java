package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.LongDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka Streams 4.4 word count with exactly_once_v2: a repartition topic (groupBy word), a changelog
 * (the count store), transactions with the consumer's offsets. Stopped and started again on an empty
 * state directory between two halves of the input, so the counts are restored from the changelog.
 * Exactly once shows as each word's counts coming out 1, 2, 3, ... with no repeat and no gap.
 */
class StreamsTest {
  static final String[] WORDS = {"alpha", "beta", "gamma", "delta", "epsilon"};
  static final int LINES_PER_HALF = 100;

  @TempDir Path stateDirs;

  static String line(int i) {
    // word j appears in line i when (i + j) % (j + 2) == 0 or j == i % WORDS.length
    List<String> words = new ArrayList<>();
    for (int j = 0; j < WORDS.length; j++) if ((i + j) % (j + 2) == 0 || j == i % WORDS.length) words.add(WORDS[j]);
    return String.join(" ", words);
  }

  static KafkaStreams wordCount(String applicationId, String input, String output, Path stateDir) {
    StreamsBuilder builder = new StreamsBuilder();
    builder.<String, String>stream(input)
        .flatMapValues(text -> Arrays.asList(text.split(" ")))
        .groupBy((key, word) -> word)
        .count(Materialized.as("counts"))
        .toStream()
        .to(output, Produced.with(Serdes.String(), Serdes.Long()));
    Properties config = new Properties();
    config.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, Target.BOOTSTRAP);
    config.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    config.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    config.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
    config.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    config.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0); // every update goes out
    config.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
    config.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    config.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
    config.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 500);
    return new KafkaStreams(builder.build(), config);
  }

  static void produceLines(String input, int from, int to) {
    try (KafkaProducer<String, String> producer = Target.producer(Map.of())) {
      for (int i = from; i < to; i++) producer.send(new ProducerRecord<>(input, "line-" + i, line(i)));
    }
  }

  static Map<String, Long> expectedCounts(int lines) {
    Map<String, Long> counts = new TreeMap<>();
    for (int i = 0; i < lines; i++) for (String w : line(i).split(" ")) counts.merge(w, 1L, Long::sum);
    return counts;
  }

  static void awaitRunning(KafkaStreams streams) throws Exception {
    Target.eventually("the streams app is RUNNING", () -> streams.state() == KafkaStreams.State.RUNNING);
  }

  @Test
  void wordCountExactlyOnceAcrossARestartFromTheChangelog() throws Exception {
    String input = Target.unique("streams-lines");
    String output = Target.unique("streams-counts");
    String applicationId = Target.unique("wordcount");
    Target.createTopic(input, 2);
    Target.createTopic(output, 2);
    produceLines(input, 0, LINES_PER_HALF);

    Map<String, Long> latest = new TreeMap<>();
    Map<String, List<Long>> sequences = new HashMap<>();
    Map<String, Object> readConfig =
        Map.of(
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, LongDeserializer.class.getName());
    try (KafkaConsumer<String, Object> reader = new KafkaConsumer<>(Target.consumerConfig(readConfig))) {
      reader.assign(List.of(new TopicPartition(output, 0), new TopicPartition(output, 1)));
      try (KafkaStreams first = wordCount(applicationId, input, output, Files.createDirectory(stateDirs.resolve("a")))) {
        first.start();
        awaitRunning(first);
        readUntil(reader, expectedCounts(LINES_PER_HALF), latest, sequences);
        // half the input still to come when it stops
        produceLines(input, LINES_PER_HALF, LINES_PER_HALF + LINES_PER_HALF / 2);
        Thread.sleep(300);
      }
      // a new instance on an empty state directory restores the store from its changelog
      try (KafkaStreams second = wordCount(applicationId, input, output, Files.createDirectory(stateDirs.resolve("b")))) {
        second.start();
        produceLines(input, LINES_PER_HALF + LINES_PER_HALF / 2, 2 * LINES_PER_HALF);
        awaitRunning(second);
        readUntil(reader, expectedCounts(2 * LINES_PER_HALF), latest, sequences);
      }
    }
    for (Map.Entry<String, List<Long>> e : sequences.entrySet()) {
      List<Long> counts = e.getValue();
      for (int i = 0; i < counts.size(); i++) {
        assertEquals(i + 1, counts.get(i), "counts of " + e.getKey() + " go 1, 2, 3, ... once each: " + counts);
      }
    }
    try (Admin admin = Target.admin()) {
      Set<String> topics = admin.listTopics().names().get();
      assertTrue(topics.contains(applicationId + "-counts-changelog"), "changelog topic in " + topics);
      assertTrue(
          topics.stream().anyMatch(t -> t.startsWith(applicationId) && t.endsWith("-repartition")),
          "repartition topic in " + topics);
    }
  }

  /** Reads the output until every word's latest count is the expected one. */
  static void readUntil(
      KafkaConsumer<String, Object> reader,
      Map<String, Long> expected,
      Map<String, Long> latest,
      Map<String, List<Long>> sequences) {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!latest.equals(expected)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("counts " + latest + " never reached " + expected);
      }
      for (ConsumerRecord<String, Object> r : reader.poll(Duration.ofMillis(200))) {
        latest.put(r.key(), (Long) r.value());
        sequences.computeIfAbsent(r.key(), k -> new ArrayList<>()).add((Long) r.value());
      }
    }
  }
}
