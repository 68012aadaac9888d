// nestjs-heartbeat/metrics: Prometheus metrics (prom-client is an optional peer dependency).
export {
  registerHeartbeatMetrics,
  type HeartbeatMetrics,
  type HeartbeatMetricsOptions,
} from './heartbeat-metrics.js';
