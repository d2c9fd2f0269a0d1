import type { Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import type { Logger } from '../../platform/log.ts';

/**
 * An idempotent producer that is replaced by a new one after any failed send. kafkajs keeps one
 * producer id for a producer's life and, when a send fails, takes its sequence numbers back; but the
 * broker may have written that batch (it died, or the connection dropped, before it answered). The
 * next batch then reuses those numbers: the broker refuses it as out of order (seen in the fault suite
 * after a broker kill), or, with the same number of messages, takes it for a retry of the batch it
 * has, answers success and drops it: a 202 for an application Kafka never held. A new producer has a
 * new id and starts its sequences at 0, so nothing it sends can be mistaken for what came before.
 */
export class RenewingProducer {
  private current!: Producer;
  private ready!: Promise<void>;
  private isConnected = false;
  renewals = 0;

  constructor(
    private readonly create: () => Producer,
    private readonly log: Logger,
  ) {
    this.start();
  }

  /** Whether the producer in use holds a connection to the cluster (for readiness). */
  get connected(): boolean {
    return this.isConnected;
  }

  private start(): void {
    const p = this.create();
    this.current = p;
    this.isConnected = false;
    p.on(p.events.CONNECT, () => {
      if (p === this.current) this.isConnected = true;
    });
    p.on(p.events.DISCONNECT, () => {
      if (p === this.current) this.isConnected = false;
    });
    this.ready = p.connect();
    this.ready.catch(() => {});
  }

  connect(): Promise<void> {
    return this.ready;
  }

  async send(record: ProducerRecord): Promise<RecordMetadata[]> {
    const producer = this.current;
    try {
      await this.ready;
      return await producer.send(record);
    } catch (e) {
      if (producer === this.current) this.renew();
      throw e;
    }
  }

  async disconnect(): Promise<void> {
    await this.current.disconnect().catch(() => {});
  }

  private renew(): void {
    const old = this.current;
    this.start();
    this.renewals++;
    this.log.warn({ renewals: this.renewals }, 'a send failed: the applications producer is replaced by a new one (new producer id)');
    void old.disconnect().catch(() => {});
  }
}
