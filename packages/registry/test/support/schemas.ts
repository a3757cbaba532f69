// Schemas the tests share.

export const avroOrder = (fields: unknown[]) =>
  JSON.stringify({ type: 'record', name: 'Order', namespace: 'shop', fields })

export const orderV1 = avroOrder([
  { name: 'id', type: 'string' },
  { name: 'amount', type: 'double' },
])
