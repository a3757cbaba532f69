#!/usr/bin/python3
"""librdkafka (confluent-kafka) workloads for the fault campaign (campaign.ts).

  produce BOOTSTRAP TOPIC PARTITIONS SPEC   full speed until stdin closes; one line per delivery
                                            report on stdout: "n p o" (acknowledged) or "x n p error" (failed);
                                            a JSON {"done": ...} line at the end
  read    BOOTSTRAP TOPIC PARTITIONS ISOLATION
                                            every record from the start of each partition to its
                                            end (high watermark, or last stable offset with
                                            read_committed): "p o n" per record, n from the value

SPEC is JSON: {"id", "acks": "all"|"1", "idempotent", "retries", "keys" (null: key = n; K: key =
"k<n % K>"), "seed", "compression", "batchBytes", "oneRecordBatches" (linger.ms=0,
batch.num.messages=1), "count" (stop after that many; default: until stdin closes), "sizes"
([min, max] bytes)}. Values are "<id>:<n>:" and padding: by default 90% 100 B-1 KiB,
8% 1-10 KiB, 2% 10-100 KiB. Records go to partition n % PARTITIONS.
"""

import json
import os
import random
import sys
import threading
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

PAD = os.urandom(100 * 1024)


def common(bootstrap):
    return {
        "bootstrap.servers": bootstrap,
        "broker.address.family": "v4",
        "socket.timeout.ms": 10000,
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 500,
    }


def size_of(rnd, sizes):
    if sizes:
        return rnd.randint(sizes[0], sizes[1])
    r = rnd.random()
    if r < 0.90:
        return rnd.randint(100, 1024)
    if r < 0.98:
        return rnd.randint(1024, 10 * 1024)
    return rnd.randint(10 * 1024, 100 * 1024)


def produce(bootstrap, topic, partitions, spec):
    spec = json.loads(spec)
    partitions = int(partitions)
    rnd = random.Random(spec.get("seed", 1))
    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    conf = common(bootstrap)
    conf.update({
        "acks": spec["acks"],
        "enable.idempotence": bool(spec["idempotent"]),
        "linger.ms": 2,
        "compression.codec": spec.get("compression", "none"),
        "message.timeout.ms": 30000,
        "queue.buffering.max.kbytes": 32768,
        "queue.buffering.max.messages": 50000,
    })
    if spec.get("oneRecordBatches"):
        conf["linger.ms"] = 0
        conf["batch.num.messages"] = 1
    if spec.get("batchBytes"):
        # Below the topic's segment.bytes: Kafka refuses a batch larger than a segment.
        conf["batch.size"] = int(spec["batchBytes"])
    if not spec["idempotent"] and not spec.get("retries", True):
        conf["retries"] = 0
    producer = Producer(conf)
    out = sys.stdout
    counts = {"ok": 0, "failed": 0}

    def delivered(err, msg, n):
        if err is None:
            counts["ok"] += 1
            out.write(f"{n} {msg.partition()} {msg.offset()}\n")
        else:
            counts["failed"] += 1
            out.write(f"x {n} {msg.partition()} {err.str()}\n")

    keys = spec.get("keys")
    sizes = spec.get("sizes")
    count = spec.get("count")
    prefix = spec["id"]
    n = 0
    while not stop.is_set() and (count is None or n < count):
        head = f"{prefix}:{n}:".encode()
        value = head + PAD[: max(0, size_of(rnd, sizes) - len(head))]
        key = (f"k{n % keys}" if keys else str(n)).encode()
        try:
            producer.produce(topic, value=value, key=key, partition=n % partitions,
                             on_delivery=lambda err, msg, n=n: delivered(err, msg, n))
            n += 1
        except BufferError:
            producer.poll(0.01)
            continue
        if n % 64 == 0:
            producer.poll(0)
    left = producer.flush(40)
    out.write(json.dumps({"done": True, "sent": n, "ok": counts["ok"], "failed": counts["failed"],
                          "undelivered": left}) + "\n")
    out.flush()


def read(bootstrap, topic, partitions, isolation):
    conf = common(bootstrap)
    conf.update({
        "group.id": "runnel-campaign-reader",  # required by the client; assign() uses no group API
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "isolation.level": isolation,
        "fetch.wait.max.ms": 100,
    })
    consumer = Consumer(conf)
    out = sys.stdout
    try:
        for p in range(int(partitions)):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
            out.write(json.dumps({"p": p, "low": low, "high": high}) + "\n")
            if high <= low:
                continue
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)])
            deadline = time.monotonic() + 120
            while True:
                if time.monotonic() > deadline:
                    sys.stderr.write(f"partition {p}: no end of partition within 120 s\n")
                    sys.exit(2)
                msg = consumer.poll(0.5)
                if msg is None:
                    continue
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        break
                    sys.stderr.write(f"partition {p}: {msg.error()}\n")
                    sys.exit(2)
                v = msg.value() or b""
                parts = v.split(b":", 2)
                n = parts[1].decode() if len(parts) == 3 else "?"
                out.write(f"{p} {msg.offset()} {n}\n")
            consumer.unassign()
    finally:
        consumer.close()
    out.flush()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"produce": produce, "read": read}[cmd](*args)
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
