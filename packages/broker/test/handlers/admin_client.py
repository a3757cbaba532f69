"""confluent_kafka's AdminClient (librdkafka) driven by the admin handler tests.

Usage: admin_client.py <bootstrap>  with a JSON list of operations on stdin; prints one JSON line
per operation with each item's outcome: {"ok": true, ...} or {"ok": false, "code", "name", "str"}
(the Kafka error code and the message librdkafka shows the user).

Written against python3-confluent-kafka 1.7 (Debian), which has create_topics, delete_topics,
create_partitions, describe_configs and alter_configs.
"""
import json
import sys

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic

TIMEOUT = 15


def failure(exc):
    err = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    if err is None or not hasattr(err, "code"):
        return {"ok": False, "code": None, "name": type(exc).__name__, "str": str(exc)}
    return {"ok": False, "code": err.code(), "name": err.name(), "str": err.str()}


def outcomes(futures, on_ok):
    out = {}
    for key, future in futures.items():
        try:
            out[str(key)] = {"ok": True, **on_ok(future.result(TIMEOUT))}
        except Exception as exc:  # noqa: BLE001 - every failure is data for the test
            out[str(key)] = failure(exc)
    return out


def describe_entry(entry):
    return {
        "value": entry.value,
        "source": int(entry.source),
        "is_default": entry.is_default,
        "is_read_only": entry.is_read_only,
        "synonyms": [[s.name, s.value, int(s.source)] for s in entry.synonyms.values()],
    }


def run(admin, op):
    kind = op["op"]
    validate_only = op.get("validate_only", False)
    if kind == "create":
        topics = [
            NewTopic(t["name"], t.get("partitions", 1), t.get("replication_factor", 1), config=t.get("config", {}))
            for t in op["topics"]
        ]
        futures = admin.create_topics(topics, operation_timeout=TIMEOUT, validate_only=validate_only)
        return outcomes(futures, lambda _: {})
    if kind == "delete":
        futures = admin.delete_topics(op["topics"], operation_timeout=TIMEOUT)
        return outcomes(futures, lambda _: {})
    if kind == "partitions":
        parts = [NewPartitions(t["name"], t["count"]) for t in op["topics"]]
        futures = admin.create_partitions(parts, operation_timeout=TIMEOUT, validate_only=validate_only)
        return outcomes(futures, lambda _: {})
    if kind == "describe":
        resources = [ConfigResource(r["type"], r["name"]) for r in op["resources"]]
        futures = admin.describe_configs(resources, request_timeout=TIMEOUT)
        return {
            f"{res.restype_int}:{res.name}": value
            for res, value in zip(
                futures.keys(),
                outcomes(futures, lambda configs: {"configs": {n: describe_entry(e) for n, e in configs.items()}}).values(),
            )
        }
    if kind == "alter":
        resources = [ConfigResource(r["type"], r["name"], set_config=r["set"]) for r in op["resources"]]
        futures = admin.alter_configs(resources, request_timeout=TIMEOUT, validate_only=validate_only)
        return {
            f"{res.restype_int}:{res.name}": value
            for res, value in zip(futures.keys(), outcomes(futures, lambda _: {}).values())
        }
    if kind == "list":
        return {"topics": sorted(admin.list_topics(timeout=TIMEOUT).topics.keys())}
    raise ValueError(f"unknown op {kind}")


def main():
    admin = AdminClient({"bootstrap.servers": sys.argv[1], "broker.address.family": "v4"})
    for op in json.load(sys.stdin):
        print(json.dumps(run(admin, op)), flush=True)


if __name__ == "__main__":
    main()
