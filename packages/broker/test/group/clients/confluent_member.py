#!/usr/bin/python3
"""One consumer-group member with python3-confluent-kafka (librdkafka), for the group tests.

  confluent_member.py BOOTSTRAP TOPIC GROUP STRATEGY [INSTANCE_ID]

Consumes TOPIC in GROUP (STRATEGY: range, roundrobin or cooperative-sticky; INSTANCE_ID makes
it a static member) and commits each record's offset synchronously after printing it
("commit after processing"). JSON lines on stdout:
  {"e": "assigned", "partitions": [...], "t": ms}   the whole assignment after every change
  {"e": "rec", "p": partition, "o": offset, "v": value}
  {"e": "commit-error", "err": "..."}              a commit refused (e.g. during a rebalance)
  {"e": "lost", "partitions": [...]}                partitions lost (not revoked) by librdkafka
  {"e": "poll-error", "err": "..."}                 an error event from poll()
  {"e": "closed"}                                   after stdin closed and the consumer closed
Runs until stdin closes; the test kills it by PID otherwise.
"""

import json
import os
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaException


def out(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def main():
    bootstrap, topic, group, strategy = sys.argv[1:5]
    instance = sys.argv[5] if len(sys.argv) > 5 else None
    conf = {
        "bootstrap.servers": bootstrap,
        "broker.address.family": "v4",
        "group.id": group,
        "client.id": "confluent-member",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "max.poll.interval.ms": 20000,
        "partition.assignment.strategy": strategy,
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 500,
        "socket.timeout.ms": 10000,
    }
    if instance:
        conf["group.instance.id"] = instance
    cooperative = strategy == "cooperative-sticky"
    owned = set()

    def report():
        out({"e": "assigned", "partitions": sorted(owned), "t": int(time.time() * 1000)})

    def on_assign(consumer, partitions):
        nonlocal owned
        mine = {p.partition for p in partitions if p.topic == topic}
        owned = owned | mine if cooperative else mine
        report()

    def on_revoke(consumer, partitions):
        nonlocal owned
        gone = {p.partition for p in partitions if p.topic == topic}
        owned = owned - gone if cooperative else set()
        report()

    def on_lost(consumer, partitions):
        out({"e": "lost", "partitions": sorted(p.partition for p in partitions if p.topic == topic)})
        on_revoke(consumer, partitions)

    consumer = Consumer(conf)
    consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)

    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()

    while not stop.is_set():
        msg = consumer.poll(0.1)
        if msg is None:
            continue
        if msg.error():
            out({"e": "poll-error", "err": str(msg.error())})
            continue
        out({"e": "rec", "p": msg.partition(), "o": msg.offset(), "v": msg.value().decode("utf-8")})
        try:
            consumer.commit(message=msg, asynchronous=False)
        except KafkaException as err:
            out({"e": "commit-error", "err": str(err)})
    consumer.close()
    out({"e": "closed"})
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
