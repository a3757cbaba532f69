#!/usr/bin/python3
"""python3-confluent-kafka (librdkafka) driven by the broker's tests.

One command per run; input as JSON on stdin, output as JSON lines on stdout. Bytes travel
as base64 (null stays null). Every wait is bounded; a failure exits non-zero with the reason
on stderr.

  create-topic  BOOTSTRAP TOPIC PARTITIONS
  delete-topic  BOOTSTRAP TOPIC
  list-topics   BOOTSTRAP                      -> {"topics": {name: partition count}}
  produce       BOOTSTRAP TOPIC                stdin: {"chunks": [{"codec": c, "acks": a, "records": [...]}]}
                                               -> one {"i", "p", "o", "err"} per record, in delivery order
  consume       BOOTSTRAP TOPIC PARTITIONS     -> every record, partition by partition, in offset order
  offsets-for-times BOOTSTRAP TOPIC            stdin: {"lookups": [[partition, timestamp], ...]}
                                               -> one {"p", "ts", "o", "err"} per lookup
  stream        BOOTSTRAP TOPIC PARTITIONS RATE  acks=all, no retries, RATE records/s, until stdin closes:
                                               -> {"n", "p", "o"} per acknowledged record,
                                                  {"n", "err"} per failed one, {"done": ...} at the end
"""

import base64
import json
import os
import sys
import threading
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

TIMEOUT_S = 30.0

# confluent-kafka-python 2.0.2 loses a reference to None for every header whose value is null
# in Message.headers() (confluentinc/confluent-kafka-python#1191), and the interpreter aborts
# with "deallocating None" once enough are lost. Holding one extra reference per null header
# value read keeps None alive while we run, and main() leaves through os._exit so the
# interpreter's teardown never drops them. A client bug, not something the broker sent.
_NONE_REFS = []


def out(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")


def b64(b):
    return None if b is None else base64.b64encode(b).decode("ascii")


def unb64(s):
    return None if s is None else base64.b64decode(s)


def common(bootstrap):
    return {
        "bootstrap.servers": bootstrap,
        "broker.address.family": "v4",
        "socket.timeout.ms": 10000,
        "api.version.request": True,
    }


def fail(msg):
    sys.stderr.write(msg + "\n")
    sys.stdout.flush()
    sys.exit(2)


def create_topic(bootstrap, topic, partitions):
    admin = AdminClient(common(bootstrap))
    futures = admin.create_topics([NewTopic(topic, num_partitions=int(partitions), replication_factor=1)],
                                  request_timeout=TIMEOUT_S)
    futures[topic].result(timeout=TIMEOUT_S)
    out({"created": topic})


def delete_topic(bootstrap, topic):
    admin = AdminClient(common(bootstrap))
    futures = admin.delete_topics([topic], request_timeout=TIMEOUT_S)
    futures[topic].result(timeout=TIMEOUT_S)
    out({"deleted": topic})


def list_topics(bootstrap):
    admin = AdminClient(common(bootstrap))
    md = admin.list_topics(timeout=TIMEOUT_S)
    out({"topics": {name: len(t.partitions) for name, t in md.topics.items()}})


def produce(bootstrap, topic):
    spec = json.load(sys.stdin)
    index = 0
    for chunk in spec["chunks"]:
        conf = common(bootstrap)
        conf.update({
            "compression.codec": chunk["codec"],
            "acks": str(chunk.get("acks", -1)),
            "linger.ms": 5,
            "enable.idempotence": False,
            "message.timeout.ms": 30000,
        })
        producer = Producer(conf)
        reports = []

        def delivered(err, msg, i):
            reports.append({"i": i, "p": msg.partition(), "o": msg.offset(), "err": None if err is None else str(err)})

        for r in chunk["records"]:
            headers = [(k, unb64(v)) for k, v in r["h"]]
            i = index
            while True:
                try:
                    producer.produce(topic, value=unb64(r["v"]), key=unb64(r["k"]), partition=r["p"],
                                     timestamp=r["ts"], headers=headers,
                                     on_delivery=lambda err, msg, i=i: delivered(err, msg, i))
                    break
                except BufferError:
                    producer.poll(0.05)
            index += 1
        left = producer.flush(TIMEOUT_S)
        if left:
            fail(f"{left} records not delivered within {TIMEOUT_S} s (codec {chunk['codec']})")
        for rep in reports:
            out(rep)


def consume(bootstrap, topic, partitions):
    conf = common(bootstrap)
    conf.update({
        "group.id": "runnel-test-assign",  # required by the client; no group API is used with assign()
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "fetch.wait.max.ms": 100,
    })
    consumer = Consumer(conf)
    try:
        for p in range(int(partitions)):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=TIMEOUT_S)
            out({"watermarks": {"p": p, "low": low, "high": high}})
            if high <= low:
                continue
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)])
            deadline = time.monotonic() + TIMEOUT_S
            next_offset = low
            while next_offset < high:
                if time.monotonic() > deadline:
                    fail(f"partition {p}: read up to offset {next_offset} of {high} within {TIMEOUT_S} s")
                msg = consumer.poll(0.5)
                if msg is None:
                    continue
                if msg.error():
                    if msg.error().code() == -191:  # _PARTITION_EOF
                        continue
                    fail(f"partition {p}: {msg.error()}")
                ts_type, ts = msg.timestamp()
                headers = msg.headers() or []
                _NONE_REFS.extend(None for _, v in headers if v is None)
                out({
                    "p": msg.partition(),
                    "o": msg.offset(),
                    "k": b64(msg.key()),
                    "v": b64(msg.value()),
                    "h": [[k, b64(v)] for k, v in headers],
                    "ts": ts,
                    "tstype": ts_type,
                })
                next_offset = msg.offset() + 1
            consumer.unassign()
    finally:
        consumer.close()


def offsets_for_times(bootstrap, topic):
    spec = json.load(sys.stdin)
    conf = common(bootstrap)
    conf.update({"group.id": "runnel-test-times", "enable.auto.commit": False})
    consumer = Consumer(conf)
    try:
        for p, ts in spec["lookups"]:
            [tp] = consumer.offsets_for_times([TopicPartition(topic, p, ts)], timeout=TIMEOUT_S)
            out({"p": p, "ts": ts, "o": tp.offset, "err": None if tp.error is None else str(tp.error)})
    finally:
        consumer.close()


def stream(bootstrap, topic, partitions, rate):
    """Produces numbered records with acks=all until stdin closes, reporting each delivery."""
    partitions = int(partitions)
    rate = float(rate)
    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    conf = common(bootstrap)
    conf.update({
        "acks": "all",
        "enable.idempotence": False,
        "retries": 0,  # a retry after a lost answer would duplicate; the test counts on none
        "linger.ms": 2,
        "message.timeout.ms": 15000,
        "queue.buffering.max.messages": 20000,
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 200,
        "socket.connection.setup.timeout.ms": 2000,
    })
    producer = Producer(conf)
    lock = threading.Lock()
    counts = {"ok": 0, "failed": 0}

    def delivered(err, msg, n):
        with lock:
            if err is None:
                counts["ok"] += 1
                out({"n": n, "p": msg.partition(), "o": msg.offset()})
            else:
                counts["failed"] += 1
                out({"n": n, "err": str(err)})
            sys.stdout.flush()

    n = 0
    started = time.monotonic()
    while not stop.is_set():
        due = int((time.monotonic() - started) * rate)
        while n < due:
            try:
                producer.produce(topic, value=f"seq-{n}".encode(), key=str(n).encode(), partition=n % partitions,
                                 on_delivery=lambda err, msg, n=n: delivered(err, msg, n))
                n += 1
            except BufferError:
                break
        producer.poll(0.005)
    left = producer.flush(20)
    out({"done": True, "sent": n, "ok": counts["ok"], "failed": counts["failed"], "undelivered": left})
    sys.stdout.flush()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    commands = {
        "create-topic": create_topic,
        "delete-topic": delete_topic,
        "list-topics": list_topics,
        "produce": produce,
        "consume": consume,
        "offsets-for-times": offsets_for_times,
        "stream": stream,
    }
    try:
        commands[cmd](*args)
    except KafkaException as e:
        fail(f"{cmd}: {e}")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
