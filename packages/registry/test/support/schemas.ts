// Schemas the tests share.

export const avroOrder = (fields: unknown[]) =>
  JSON.stringify({ type: 'record', name: 'Order', namespace: 'shop', fields })

export const orderV1 = avroOrder([
  { name: 'id', type: 'string' },
  { name: 'amount', type: 'double' },
])

/**
 * One schema per format written twice, differently but meaning the same, and the text Confluent's
 * registry keeps for it when registered with normalize=true.
 */
export const equivalentSchemas = {
  AVRO: {
    a: JSON.stringify({
      type: 'record',
      name: 'Order',
      namespace: 'shop',
      fields: [
        { name: 'id', type: 'string', aprop: 'a', zprop: 'z' },
        { name: 'amount', type: 'double' },
      ],
      'connect.name': 'shop.Order',
      'connect.version': 1,
    }),
    // A dotted name instead of a namespace, attributes and properties in another order.
    b: `{
  "namespace": "shop", "connect.version": 1,
  "fields": [
    { "zprop": "z", "type": { "type": "string" }, "aprop": "a", "name": "id" },
    { "type": "double", "name": "amount" }
  ],
  "name": "shop.Order", "connect.name": "shop.Order", "type": "record"
}`,
    normalized:
      '{"type":"record","name":"Order","namespace":"shop","fields":[{"name":"id","type":"string","aprop":"a",' +
      '"zprop":"z"},{"name":"amount","type":"double"}],"connect.name":"shop.Order","connect.version":1}',
  },
  JSON: {
    a: '{"type":"object","properties":{"id":{"type":"string"},"amount":{"type":"number"}},"required":["id"]}',
    b: `{
  "required": ["id"],
  "properties": { "amount": { "type": "number" }, "id": { "type": "string" } },
  "type": "object"
}`,
    normalized:
      '{"properties":{"amount":{"type":"number"},"id":{"type":"string"}},"required":["id"],"type":"object"}',
  },
  PROTOBUF: {
    a: `syntax = "proto3";
package shop;

message Order {
  string id = 1;
  double amount = 2;
  Line line = 3;
  message Line { string sku = 1; }
}
`,
    // Comments, fields in another order, a fully qualified type name.
    b: `// An order of the shop.
syntax = "proto3";
package shop;
message Order {
  message Line {
    string sku = 1;
  }
  .shop.Order.Line line = 3;
  double amount = 2; // in euros
  string id = 1;
}
`,
    normalized: `syntax = "proto3";
package shop;

message Order {
  string id = 1;
  double amount = 2;
  .shop.Order.Line line = 3;

  message Line {
    string sku = 1;
  }
}
`,
  },
} as const
