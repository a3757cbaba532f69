package dev.runnel.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kafka 4.4's command-line tools (kafka-tools, from the jars tools/kafka fetches) against the broker:
 * kafka-topics, kafka-configs, kafka-producer-perf-test, kafka-consumer-perf-test, kafka-get-offsets,
 * kafka-consumer-groups, kafka-transactions and kafka-broker-api-versions. Each tool's main runs in
 * this JVM, in a class loader of its own over those jars (a JVM per command would cost seconds each),
 * with Kafka's Exit hook turned into an exception that carries the exit code, System.out/err captured.
 */
class ToolsTest {
  static URLClassLoader kafka;

  @BeforeAll
  static void findKafka() throws Exception {
    String dir = System.getProperty("kafka.libs", "");
    if (dir.isEmpty()) dir = System.getProperty("user.home") + "/.cache/runnel/kafka-4.4.0/libs";
    Path libs = Path.of(dir);
    // not a gap of either broker: the tools are simply not installed (npm run kafka -- --install)
    assumeTrue(Files.isDirectory(libs), "Kafka's jars are not in " + libs);
    List<URL> jars = new ArrayList<>();
    try (var files = Files.list(libs)) {
      for (Path jar : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) jars.add(jar.toUri().toURL());
    }
    kafka = new URLClassLoader(jars.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    Class<?> exit = kafka.loadClass("org.apache.kafka.common.utils.internals.Exit");
    Class<?> procedure = kafka.loadClass("org.apache.kafka.common.utils.internals.Exit$Procedure");
    Object throwing =
        Proxy.newProxyInstance(
            kafka,
            new Class<?>[] {procedure},
            (proxy, method, args) -> {
              if (method.getName().equals("execute")) {
                if (firstExit == null) firstExit = (Integer) args[0];
                throw new ToolExit((Integer) args[0]);
              }
              return method.invoke(proxy, args);
            });
    exit.getMethod("setExitProcedure", procedure).invoke(null, throwing);
    exit.getMethod("setHaltProcedure", procedure).invoke(null, throwing);
  }

  @AfterAll
  static void closeLoader() throws Exception {
    if (kafka != null) kafka.close();
  }

  /**
   * The code of a tool's first Exit.exit: TopicCommand calls Exit.exit(0) inside a try that catches
   * Throwable and exits again with 1, so the first call is the tool's answer.
   */
  static volatile Integer firstExit;

  /** What Kafka's Exit.exit(code) throws here instead of ending the JVM. */
  static final class ToolExit extends RuntimeException {
    final int code;

    ToolExit(int code) {
      super("exit " + code, null, false, false);
      this.code = code;
    }
  }

  record Run(int code, String output) {}

  /** Runs {@code mainClass args} and returns its exit code (0 when main returns) and its output. */
  static synchronized Run tool(String mainClass, String... args) throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream out = System.out;
    PrintStream err = System.err;
    Thread thread = Thread.currentThread();
    ClassLoader context = thread.getContextClassLoader();
    int code = 0;
    firstExit = null;
    try (PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
      System.setOut(capture);
      System.setErr(capture);
      thread.setContextClassLoader(kafka);
      try {
        kafka.loadClass(mainClass).getMethod("main", String[].class).invoke(null, (Object) args);
      } catch (InvocationTargetException e) {
        if (!(e.getCause() instanceof ToolExit)) {
          code = -1;
          e.getCause().printStackTrace(capture);
        }
      }
    } finally {
      System.setOut(out);
      System.setErr(err);
      thread.setContextClassLoader(context);
    }
    return new Run(firstExit != null ? firstExit : code, captured.toString(StandardCharsets.UTF_8));
  }

  static String ok(String mainClass, String... args) throws Exception {
    Run run = tool(mainClass, args);
    assertEquals(0, run.code(), mainClass + " " + String.join(" ", args) + " exited " + run.code() + ":\n" + run.output());
    return run.output();
  }

  static void assertContains(String output, String expected) {
    assertTrue(output.contains(expected), "expected \"" + expected + "\" in:\n" + output);
  }

  static final String TOPICS = "org.apache.kafka.tools.TopicCommand";
  static final String CONFIGS = "org.apache.kafka.tools.ConfigCommand";

  @Test
  void kafkaTopicsAndKafkaConfigs() throws Exception {
    String topic = Target.unique("tools-topic");
    String b = Target.BOOTSTRAP;
    assertContains(
        ok(TOPICS, "--bootstrap-server", b, "--create", "--topic", topic, "--partitions", "3",
            "--replication-factor", "1", "--config", "retention.ms=3600000"),
        "Created topic " + topic);
    String described = ok(TOPICS, "--bootstrap-server", b, "--describe", "--topic", topic);
    assertContains(described, "PartitionCount: 3");
    assertContains(described, "retention.ms=3600000");
    ok(TOPICS, "--bootstrap-server", b, "--alter", "--topic", topic, "--partitions", "4");
    assertContains(ok(TOPICS, "--bootstrap-server", b, "--describe", "--topic", topic), "PartitionCount: 4");

    ok(CONFIGS, "--bootstrap-server", b, "--entity-type", "topics", "--entity-name", topic, "--alter",
        "--add-config", "retention.ms=60000,cleanup.policy=compact");
    String configs = ok(CONFIGS, "--bootstrap-server", b, "--entity-type", "topics", "--entity-name", topic, "--describe");
    assertContains(configs, "retention.ms=60000");
    assertContains(configs, "cleanup.policy=compact");

    ok(TOPICS, "--bootstrap-server", b, "--delete", "--topic", topic);
    Target.eventually("the topic is gone", () -> !ok(TOPICS, "--bootstrap-server", b, "--list").contains(topic));
  }

  @Test
  void perfToolsGetOffsetsAndConsumerGroups() throws Exception {
    String topic = Target.unique("tools-perf");
    String group = Target.unique("tools-group");
    String b = Target.BOOTSTRAP;
    Target.createTopic(topic, 2);
    assertContains(
        ok("org.apache.kafka.tools.ProducerPerformance", "--topic", topic, "--num-records", "5000",
            "--record-size", "100", "--throughput", "-1", "--producer-props", "bootstrap.servers=" + b, "acks=all",
            "compression.type=lz4"),
        "5000 records sent");

    long total = 0;
    String offsets = ok("org.apache.kafka.tools.GetOffsetShell", "--bootstrap-server", b, "--topic", topic);
    Matcher m = Pattern.compile(Pattern.quote(topic) + ":(\\d+):(\\d+)").matcher(offsets);
    int partitions = 0;
    while (m.find()) {
      partitions++;
      total += Long.parseLong(m.group(2));
    }
    assertEquals(2, partitions, offsets);
    assertEquals(5000, total, offsets);

    String consumed = ok("org.apache.kafka.tools.ConsumerPerformance", "--bootstrap-server", b, "--topic", topic,
        "--messages", "5000", "--group", group, "--timeout", "30000");
    assertContains(consumed, "5000"); // the data line: ..., nMsg consumed, ...

    String groups = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";
    assertContains(ok(groups, "--bootstrap-server", b, "--list"), group);
    ok(groups, "--bootstrap-server", b, "--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute");
    String described = ok(groups, "--bootstrap-server", b, "--describe", "--group", group);
    // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...: every partition back at 0
    Matcher row = Pattern.compile(Pattern.quote(group) + "\\s+" + Pattern.quote(topic) + "\\s+(\\d)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)").matcher(described);
    long lag = 0;
    int rows = 0;
    while (row.find()) {
      rows++;
      assertEquals("0", row.group(2), described);
      lag += Long.parseLong(row.group(4));
    }
    assertEquals(2, rows, described);
    assertEquals(5000, lag, described);
  }

  @Test
  void kafkaTransactions() throws Exception {
    String topic = Target.unique("tools-txn");
    Target.createTopic(topic, 1);
    try (var producer = Target.producer(java.util.Map.of("transactional.id", topic + "-id"))) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(topic, 0, "k", "v")).get();
      String tx = "org.apache.kafka.tools.TransactionsCommand";
      String b = Target.BOOTSTRAP;
      assertContains(ok(tx, "--bootstrap-server", b, "list"), topic + "-id");
      assertContains(ok(tx, "--bootstrap-server", b, "describe", "--transactional-id", topic + "-id"), "Ongoing");
      String producers = ok(tx, "--bootstrap-server", b, "describe-producers", "--topic", topic, "--partition", "0");
      assertTrue(producers.lines().count() >= 2, "a header and the producer:\n" + producers);
      producer.commitTransaction();
    }
  }

  @Test
  void kafkaBrokerApiVersions() throws Exception {
    String versions = ok("org.apache.kafka.tools.BrokerApiVersionsCommand", "--bootstrap-server", Target.BOOTSTRAP);
    for (String api : List.of("Produce(0)", "Fetch(1)", "Metadata(3)", "JoinGroup(11)", "ApiVersions(18)", "InitProducerId(22)")) {
      Matcher m = Pattern.compile(Pattern.quote(api) + ": \\d+ to \\d+ \\[usable: \\d+\\]").matcher(versions);
      assertTrue(m.find(), api + " usable in:\n" + versions);
    }
  }
}
