import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics of one process, in a registry of its own (so tests can run several processes'
 * worth side by side). Names follow Prometheus conventions: unit suffixes, _total for counters.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly applies = new Counter({
    name: 'terning_applies_total',
    help: 'Apply calls by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly applyLatency = new Histogram({
    name: 'terning_apply_duration_seconds',
    help: 'Apply latency, request to answer',
    registers: [this.registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  readonly kafkaBatchSize = new Histogram({
    name: 'terning_kafka_batch_size',
    help: 'Messages per Kafka send (group commit)',
    registers: [this.registry],
    buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
  });
  readonly kafkaSendLatency = new Histogram({
    name: 'terning_kafka_send_duration_seconds',
    help: 'Kafka send latency, acks=all',
    labelNames: ['result'],
    registers: [this.registry],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  });
  readonly persisted = new Counter({
    name: 'terning_decisions_persisted_total',
    help: 'Decisions read from Kafka: persisted, or void (their reservation was released)',
    labelNames: ['result'],
    registers: [this.registry],
  });
  readonly reservationsReleased = new Counter({
    name: 'terning_reservations_released_total',
    help: 'Reservations Kafka never took, released by the sweeper: their units went back to the stock',
    registers: [this.registry],
  });
  /** What the heap may grow to (its memory flags: bin/terning.js gives the API its budget). */
  readonly heapLimit = new Gauge({
    name: 'terning_heap_limit_bytes',
    help: "The V8 heap's size limit in this process (old space, young generation and the rest)",
    registers: [this.registry],
    collect() {
      this.set(getHeapStatistics().heap_size_limit);
    },
  });
  readonly ready = new Gauge({
    name: 'terning_ready',
    help: 'Each readiness check at the last /readyz: 1 passing, 0 failing',
    labelNames: ['check'],
    registers: [this.registry],
  });
  readonly deadLetters = new Counter({
    name: 'terning_dead_letters_total',
    help: 'Applications sent to the dead-letter topic',
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: 'terning_consumer_lag',
    help: 'Messages not yet committed by the consumer group',
    labelNames: ['partition'],
    registers: [this.registry],
  });
  readonly outbox = new Gauge({
    name: 'terning_email_outbox',
    help: 'Winner emails by state',
    labelNames: ['state'],
    registers: [this.registry],
  });
  readonly sesSends = new Counter({
    name: 'terning_ses_sends_total',
    help: 'SES send attempts by result',
    labelNames: ['result'],
    registers: [this.registry],
  });

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }
}
