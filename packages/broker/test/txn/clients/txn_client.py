#!/usr/bin/python3
"""python3-confluent-kafka (librdkafka 2.0.2) transactional and idempotent clients for the
transaction tests. One command per run; JSON lines on stdout; every wait bounded; a failure
exits non-zero with the reason on stderr.

  ctp BOOTSTRAP IN OUT GROUP TXN_ID PARTITIONS BATCH
      consume-transform-produce: reads IN (read_committed, partitions assigned by hand, from the
      group's committed offsets), and for each poll of up to BATCH records writes them to the same
      partition of OUT and commits the consumed offsets in one transaction
      (send_offsets_to_transaction). -> {"ready": ...}, {"txn": i, "n": records}, {"done": true}
      once every partition is read to the end it had when the run started.
  read BOOTSTRAP TOPIC PARTITIONS ISOLATION   (read_committed | read_uncommitted)
      every record delivered, partition by partition, to the end -> {"p", "o", "k", "v"}
  idempotent BOOTSTRAP TOPIC PARTITIONS RATE
      enable.idempotence=true; record n ("seq-<n>", key n) to partition n % PARTITIONS at RATE
      records/s until stdin closes, then flushes -> {"acked": count} now and then, and
      {"done": {"sent": n, "acked": n, "failed": n, "errors": [...]}}
  fenced BOOTSTRAP TOPIC TXN_ID
      opens a transaction, writes "zombie-1" -> {"open": true}; on a stdin line, writes
      "zombie-2" and commits -> {"outcome": "committed"} or {"outcome": "error", "code": name,
      "fatal": bool}
  init BOOTSTRAP TXN_ID   init_transactions() -> {"initialized": true}
"""

import json
import sys
import threading
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

TIMEOUT_S = 30.0


def out(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def fail(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()
    sys.exit(2)


def common(bootstrap):
    return {
        "bootstrap.servers": bootstrap,
        "broker.address.family": "v4",
        "socket.timeout.ms": 10000,
    }


def ctp(bootstrap, inp, outp, group, txn_id, partitions, batch):
    partitions, batch = int(partitions), int(batch)
    pconf = common(bootstrap)
    pconf.update({"transactional.id": txn_id, "linger.ms": 2})
    producer = Producer(pconf)
    producer.init_transactions(TIMEOUT_S)
    cconf = common(bootstrap)
    cconf.update({
        "group.id": group,
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
        "auto.offset.reset": "earliest",
        "fetch.wait.max.ms": 50,
    })
    consumer = Consumer(cconf)
    tps = [TopicPartition(inp, p) for p in range(partitions)]
    committed = consumer.committed(tps, timeout=TIMEOUT_S)
    position = {tp.partition: (tp.offset if tp.offset >= 0 else 0) for tp in committed}
    high = {p: consumer.get_watermark_offsets(TopicPartition(inp, p), timeout=TIMEOUT_S)[1] for p in range(partitions)}
    consumer.assign([TopicPartition(inp, p, position[p] if position[p] > 0 else OFFSET_BEGINNING) for p in range(partitions)])
    out({"ready": {"position": position, "high": high}})
    txns = 0
    while True:
        if all(position[p] >= high[p] for p in range(partitions)):
            out({"done": True})
            break
        msgs = [m for m in consumer.consume(num_messages=batch, timeout=0.5) if m.error() is None]
        if not msgs:
            continue
        producer.begin_transaction()
        for m in msgs:
            producer.produce(outp, key=m.key(), value=m.value(), partition=m.partition())
            position[m.partition()] = m.offset() + 1
        offsets = [TopicPartition(inp, p, o) for p, o in position.items()]
        producer.send_offsets_to_transaction(offsets, consumer.consumer_group_metadata(), TIMEOUT_S)
        producer.commit_transaction(TIMEOUT_S)
        txns += 1
        out({"txn": txns, "n": len(msgs)})
    consumer.close()


def read(bootstrap, topic, partitions, isolation):
    conf = common(bootstrap)
    conf.update({
        "group.id": "runnel-txn-reader",
        "enable.auto.commit": False,
        "enable.partition.eof": True,
        "isolation.level": isolation,
        "fetch.wait.max.ms": 50,
    })
    consumer = Consumer(conf)
    for p in range(int(partitions)):
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)])
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            if time.monotonic() > deadline:
                fail(f"partition {p}: no end of partition within {TIMEOUT_S} s")
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == -191:  # _PARTITION_EOF
                    break
                fail(f"partition {p}: {msg.error()}")
            key = msg.key()
            value = msg.value()
            out({
                "p": msg.partition(),
                "o": msg.offset(),
                "k": None if key is None else key.decode(),
                "v": None if value is None else value.decode(),
            })
        consumer.unassign()
    consumer.close()


def idempotent(bootstrap, topic, partitions, rate):
    partitions, rate = int(partitions), float(rate)
    conf = common(bootstrap)
    conf.update({
        "enable.idempotence": True,
        "linger.ms": 5,
        "message.timeout.ms": 120000,
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 200,
        "retry.backoff.ms": 50,
    })
    state = {"acked": 0, "failed": 0, "errors": []}
    lock = threading.Lock()

    def on_delivery(err, msg):
        with lock:
            if err is None:
                state["acked"] += 1
            else:
                state["failed"] += 1
                if len(state["errors"]) < 10:
                    state["errors"].append(str(err))

    producer = Producer(conf, error_cb=lambda err: state["errors"].append("error_cb: " + str(err)) if err.fatal() else None)
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    n = 0
    started = time.monotonic()
    last_report = 0
    while not stop.is_set():
        due = int((time.monotonic() - started) * rate)
        while n < due:
            try:
                producer.produce(topic, key=str(n), value=f"seq-{n}", partition=n % partitions, on_delivery=on_delivery)
                n += 1
            except BufferError:
                break
        producer.poll(0.01)
        with lock:
            acked = state["acked"]
        if acked - last_report >= 200:
            last_report = acked
            out({"acked": acked, "sent": n})
    remaining = producer.flush(150)
    out({"done": {"sent": n, "acked": state["acked"], "failed": state["failed"], "unflushed": remaining, "errors": state["errors"]}})


def fenced(bootstrap, topic, txn_id):
    conf = common(bootstrap)
    conf.update({"transactional.id": txn_id, "linger.ms": 0})
    producer = Producer(conf)
    producer.init_transactions(TIMEOUT_S)
    producer.begin_transaction()
    producer.produce(topic, value=b"zombie-1", partition=0)
    if producer.flush(TIMEOUT_S) != 0:
        fail("zombie-1 not delivered")
    out({"open": True})
    sys.stdin.readline()
    try:
        producer.produce(topic, value=b"zombie-2", partition=0)
        producer.flush(TIMEOUT_S)
        producer.commit_transaction(TIMEOUT_S)
        out({"outcome": "committed"})
    except KafkaException as e:
        err = e.args[0]
        out({"outcome": "error", "code": err.name(), "fatal": err.fatal(), "text": err.str()})


def init(bootstrap, txn_id):
    conf = common(bootstrap)
    conf.update({"transactional.id": txn_id})
    producer = Producer(conf)
    producer.init_transactions(TIMEOUT_S)
    out({"initialized": True})


COMMANDS = {"ctp": ctp, "read": read, "idempotent": idempotent, "fenced": fenced, "init": init}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        fail("usage: txn_client.py " + "|".join(COMMANDS) + " ...")
    try:
        COMMANDS[sys.argv[1]](*sys.argv[2:])
    except KafkaException as e:
        fail(f"{sys.argv[1]}: {e}")
