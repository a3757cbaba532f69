import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import { protobufFormat } from '../../src/formats/protobuf.ts'
import type { ResolvedReference } from '../../src/schema-types.ts'

function normalized(text: string, references: ResolvedReference[] = []): string {
  return protobufFormat.normalize(protobufFormat.parse(text, references))
}

const orderAsWritten = `// Orders of the shop.
syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
import "google/protobuf/timestamp.proto";
option java_package = "com.shop";
option java_multiple_files = true;
option optimize_for = SPEED;

message Order {
  reserved 15, 2, 9 to 11;
  reserved "legacy";
  string id = 1 [json_name = "orderId", deprecated = true];
  oneof payment { string card = 5; string iban = 4; }
  map<string, Line> lines = 3;
  optional int64 discount = 6;
  google.protobuf.Timestamp at = 8;
  message Line { Status status = 1; }
  enum Status { NEW = 0; PAID = 2; SHIPPED = 1; }
}
service Orders { rpc Get (Order) returns (stream Order.Line); }
`

// The same schema: other layout, order, comments, and names qualified differently.
const orderRewritten = `syntax = "proto3";

package shop;

option optimize_for = SPEED;
option java_multiple_files = true;
option java_package = "com.shop";

import "google/protobuf/timestamp.proto";

message Order {
  message Line {
    .shop.Order.Status status = 1; // where the line is
  }
  enum Status {
    NEW = 0;
    SHIPPED = 1;
    PAID = 2;
  }
  .google.protobuf.Timestamp at = 8;
  optional int64 discount = 6;
  map<string, shop.Order.Line> lines = 3;
  oneof payment {
    string iban = 4;
    string card = 5;
  }
  string id = 1 [deprecated = true, json_name = "orderId"];
  reserved "legacy";
  reserved 2, 9 to 11, 15;
}

service Orders {
  rpc Get (.shop.Order) returns (stream .shop.Order.Line);
}
`

const orderNormalized = `syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";

option java_multiple_files = true;
option java_package = "com.shop";
option optimize_for = SPEED;

message Order {
  reserved 2;
  reserved 9 to 11;
  reserved 15;
  reserved "legacy";

  string id = 1 [
    deprecated = true,
    json_name = "orderId"
  ];
  map<string, .shop.Order.Line> lines = 3;
  optional int64 discount = 6;
  .google.protobuf.Timestamp at = 8;

  oneof payment {
    string iban = 4;
    string card = 5;
  }

  message Line {
    .shop.Order.Status status = 1;
  }
  enum Status {
    NEW = 0;
    SHIPPED = 1;
    PAID = 2;
  }
}

service Orders {
  rpc Get (.shop.Order) returns (stream .shop.Order.Line);
}
`

describe('Protobuf normalization', () => {
  it("prints the file as Confluent's normalized form: sorted, qualified, comments gone", () => {
    assert.equal(normalized(orderAsWritten), orderNormalized)
  })

  it('gives two writings of one schema the same text, which is its own normalized form', () => {
    assert.equal(normalized(orderRewritten), orderNormalized)
    assert.equal(normalized(orderNormalized), orderNormalized)
  })

  it('keeps the messages in their order, so message indexes do not change', () => {
    const text =
      'syntax = "proto3";\nmessage B { int32 b = 1; }\nenum E { Z = 0; }\nmessage A { message C {} int32 a = 1; }'
    const before = protobufFormat.parse(text, [])
    const after = protobufFormat.parse(protobufFormat.normalize(before), [])
    assert.deepEqual(after.messages, before.messages)
  })

  it('writes proto2 without its syntax line, with labels, defaults, extensions and extends', () => {
    const text = `syntax = "proto2";
package legacy;
message Item {
  extensions 300, 100 to 200;
  optional Kind kind = 3 [default = BIG];
  required string name = 2 [default = "none"];
  optional int32 count = 1 [default = 5];
  enum Kind { SMALL = 1; BIG = 2; }
}
extend Item { optional int32 weight = 150; }
`
    assert.equal(
      normalized(text),
      `package legacy;

message Item {
  optional int32 count = 1 [default = 5];
  required string name = 2 [default = "none"];
  optional .legacy.Item.Kind kind = 3 [default = BIG];

  extensions 100 to 200;
  extensions 300;

  enum Kind {
    SMALL = 1;
    BIG = 2;
  }
}

extend .legacy.Item {
  optional int32 weight = 150;
}
`,
    )
  })

  it('qualifies custom options and writes a sub-option as a message literal', () => {
    const require = createRequire(import.meta.url)
    const descriptor: ResolvedReference = {
      name: 'google/protobuf/descriptor.proto',
      subject: 'descriptor',
      version: 1,
      schemaType: 'PROTOBUF',
      schema: readFileSync(require.resolve('protobufjs/google/protobuf/descriptor.proto'), 'utf8'),
      references: [],
    }
    const text = `syntax = "proto3";
package acme;
import "google/protobuf/descriptor.proto";
extend google.protobuf.FieldOptions { Rules rules = 50000; Level level = 50001; }
message Rules { bool required = 1; int32 max = 2; }
enum Level { LOW = 0; HIGH = 1; }
message Event { string name = 1 [(level) = HIGH, (rules).max = 10]; }
`
    assert.equal(
      normalized(text, [descriptor]),
      `syntax = "proto3";
package acme;

import "google/protobuf/descriptor.proto";

message Rules {
  bool required = 1;
  int32 max = 2;
}
message Event {
  string name = 1 [
    (acme.level) = HIGH,
    (acme.rules) = {
      max: 10
    }
  ];
}
enum Level {
  LOW = 0;
  HIGH = 1;
}

extend .google.protobuf.FieldOptions {
  .acme.Rules rules = 50000;
  .acme.Level level = 50001;
}
`,
    )
  })
})
