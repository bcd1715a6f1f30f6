import client from 'prom-client';

/** Prometheus metrics, served at /metrics. */
export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new client.Counter({ name: 'liebian_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['route', 'status'], registers: [registry] }),
    latency: new client.Histogram({ name: 'liebian_http_request_seconds', help: 'HTTP request latency', labelNames: ['route'], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry] }),
    ingested: new client.Counter({ name: 'liebian_events_acknowledged_total', help: 'Events acknowledged at /v1/* (durable)', registers: [registry] }),
    rejected: new client.Counter({ name: 'liebian_ingest_rejected_total', help: 'Collection requests refused', labelNames: ['reason'], registers: [registry] }),
    backlog: new client.Gauge({ name: 'liebian_outbox_backlog', help: 'Acknowledged events not yet consumed', labelNames: ['consumer'], registers: [registry] }),
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
