// What /metrics exposes, in Prometheus's text format (prom-client). Each app has its own registry,
// so several apps in one process (the tests) never count into each other; what describes the
// process itself (CPU, memory, event-loop delay, GC) is collected once per process instead, because
// prom-client's collectors start timers and observers that are never stopped.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AuthorKind } from '../../protocol/index.ts';
import type { DomainEvents } from './events.ts';
import type { CommitObserver } from './message-store.ts';
import type { AttemptObserver, AttemptOutcome } from './webhooks/worker.ts';

/** Read at each scrape; see Metrics.watchCluster. */
export interface ClusterHealth {
  busCarrying(): boolean;
  presenceAnswering(): boolean;
}

export type ConnectionRole = 'unauthenticated' | 'visitor' | 'agent';
const ROLES: readonly ConnectionRole[] = ['unauthenticated', 'visitor', 'agent'];
const AUTHORS: readonly AuthorKind[] = ['visitor', 'agent', 'system'];
const OUTCOMES: readonly AttemptOutcome[] = ['succeeded', 'retried', 'failed'];

let processRegistry: Registry | undefined;

/** Node's and the process's own metrics (prom-client's defaults), in a registry of their own. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export class Metrics {
  private readonly registry = new Registry();
  private readonly stored: Counter<'author'>;
  private readonly batchSize: Histogram;
  private readonly commitSeconds: Histogram;
  private readonly webhookAttempts: Counter<'outcome'>;
  private readonly webhookSeconds: Histogram;
  private busFaults: Counter | undefined;

  /**
   * @param connections read at each scrape: this node's open WebSockets of one role.
   * @param webhookQueue counted at each scrape (one query): deliveries waiting, on every node.
   */
  constructor(connections: (role: ConnectionRole) => number, webhookQueue: () => Promise<number> = async () => 0) {
    const registers = [this.registry];
    new Gauge({
      name: 'parley_websocket_connections',
      help: 'Open WebSocket connections on this node, by who is on them.',
      labelNames: ['role'],
      registers,
      collect() {
        for (const role of ROLES) this.set({ role }, connections(role));
      },
    });
    this.stored = new Counter({
      name: 'parley_messages_stored_total',
      help: 'Messages committed (resends of a stored message not included), by author.',
      labelNames: ['author'],
      registers,
    });
    // Every series exists from the start, so rate() sees the first message rather than a new series.
    for (const author of AUTHORS) this.stored.inc({ author }, 0);
    this.batchSize = new Histogram({
      name: 'parley_message_batch_size',
      help: 'Messages per group-commit statement.',
      // Powers of two up to the store's largest batch (256).
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.commitSeconds = new Histogram({
      name: 'parley_message_commit_seconds',
      help: 'Time to write and commit one group-commit statement.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    new Gauge({
      name: 'parley_webhook_queue_depth',
      help: 'Webhook deliveries pending (due or waiting for a retry), across all nodes.',
      registers,
      async collect() {
        // A scrape while the database is away still answers, with the last depth counted.
        try { this.set(await webhookQueue()); } catch { /* readiness reports the database */ }
      },
    });
    this.webhookAttempts = new Counter({
      name: 'parley_webhook_attempts_total',
      help: 'Webhook delivery attempts made by this node, by outcome: succeeded, retried (failed, tried again later) or failed (given up).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of OUTCOMES) this.webhookAttempts.inc({ outcome }, 0);
    this.webhookSeconds = new Histogram({
      name: 'parley_webhook_attempt_seconds',
      help: 'Time from sending a webhook delivery to its answer (or timeout).',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
  }

  /**
   * With Redis (several nodes): whether it carries this node's frames and answers its presence,
   * read at each scrape, and the faults the bus has had. A node serves its own clients through
   * either outage, so these are what tells an operator that nodes stopped hearing each other.
   */
  watchCluster(health: ClusterHealth): void {
    const registers = [this.registry];
    new Gauge({
      name: 'parley_bus_up',
      help: '1 while Redis carries frames between this node and the others; 0 from a missed probe or failed publish until probes come back (clients are then told to catch up).',
      registers,
      collect() { this.set(health.busCarrying() ? 1 : 0); },
    });
    new Gauge({
      name: 'parley_presence_redis_up',
      help: '1 while Redis answers this node\'s presence; 0 while the node serves presence from its own consoles only.',
      registers,
      collect() { this.set(health.presenceAnswering() ? 1 : 0); },
    });
    this.busFaults = new Counter({
      name: 'parley_bus_faults_total',
      help: 'Times this node noticed that Redis may have dropped frames between nodes.',
      registers,
    });
  }

  /** The bus's fault callback (counted only once watchCluster has run). */
  observeBusFault(): void {
    this.busFaults?.inc();
  }

  /** The delivery worker's once-per-attempt callback. */
  readonly observeWebhookAttempt: AttemptObserver = (outcome, seconds) => {
    this.webhookAttempts.inc({ outcome });
    this.webhookSeconds.observe(seconds);
  };

  /** The message store's once-per-batch callback. */
  readonly observeCommit: CommitObserver = (batchSize, seconds) => {
    this.batchSize.observe(batchSize);
    this.commitSeconds.observe(seconds);
  };

  /** Counts what the services announce; one more listener beside the relay. */
  listen(events: DomainEvents): void {
    events.on('message.created', ({ message }) => this.stored.inc({ author: message.authorKind }));
  }

  readonly contentType = this.registry.contentType;

  /** The exposition text: this app's metrics, then the process's. */
  async text(): Promise<string> {
    const [own, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return own + process;
  }
}
