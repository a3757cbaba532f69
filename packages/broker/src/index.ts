// Public surface of @runnel/broker.
export { Broker, type RunningBroker, startBroker } from './broker.ts'
export type { BrokerOptions } from './config/broker-config.ts'
export { topicConfigDefs } from './config/topic-configs.ts'
