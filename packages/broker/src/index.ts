// Public surface of @runnel/broker.
export { type RunningBroker, startBroker } from './broker.ts'
export type { BrokerOptions } from './config/broker-config.ts'
export { topicConfigDefs } from './config/topic-configs.ts'
