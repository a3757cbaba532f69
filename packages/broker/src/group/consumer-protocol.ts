// The one piece of the embedded consumer protocol the coordinator reads: the topics in a
// member's subscription (protocol type "consumer"). Kafka uses them to refuse OffsetDelete on
// a topic the group still consumes and to expire offsets of topics nobody subscribes to.
//
// ConsumerProtocolSubscription, every version starts with the v0 layout:
//   version int16, topics [int32 count] string (int16 length + UTF-8), user data, ... (ignored)

export const CONSUMER_PROTOCOL_TYPE = 'consumer'

/** The subscribed topics, or undefined when the bytes do not parse as a subscription. */
export function subscribedTopics(metadata: Buffer): string[] | undefined {
  try {
    let pos = 0
    const need = (n: number) => {
      if (pos + n > metadata.length) throw new RangeError('short subscription')
    }
    need(2)
    const version = metadata.readInt16BE(pos)
    pos += 2
    if (version < 0) return undefined
    need(4)
    const count = metadata.readInt32BE(pos)
    pos += 4
    if (count < 0 || count > metadata.length) return undefined
    const topics: string[] = []
    for (let i = 0; i < count; i++) {
      need(2)
      const len = metadata.readInt16BE(pos)
      pos += 2
      if (len < 0) return undefined
      need(len)
      topics.push(metadata.toString('utf8', pos, pos + len))
      pos += len
    }
    return topics
  } catch {
    return undefined
  }
}
