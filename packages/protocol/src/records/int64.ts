// int64 header fields (offsets, timestamps) as JS numbers: exact below 2^53 in magnitude,
// which offsets and millisecond timestamps never reach. producerId stays a bigint elsewhere
// because it is an identity, not a quantity.

const TWO_TO_32 = 0x100000000

export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_TO_32 + buf.readUInt32BE(pos + 4)
}

/** Writes an integer number as int64 BE; throws RangeError outside the safe-integer range. */
export function writeInt64(buf: Buffer, pos: number, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer for an int64 field`)
  const high = Math.floor(value / TWO_TO_32)
  buf.writeInt32BE(high, pos)
  buf.writeUInt32BE(value - high * TWO_TO_32, pos + 4)
}
