// A load balancer in miniature: a TCP proxy on 127.0.0.1 that hands each new connection to the next
// node in turn, skipping a node that refuses it (stopped, or no longer listening because it is
// shutting down), as a balancer's failed connect or health check would. It moves bytes only, so
// HTTP and WebSocket connections alike stay on the node they reached until one side closes.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { WS_PATH } from '../../protocol/index.ts';

export class RoundRobinProxy {
  private readonly server: Server;
  private readonly open = new Set<Socket>();
  private next = 0;
  /** Connections handed to each backend, by port. */
  readonly handedTo = new Map<number, number>();
  /** Connections no backend would take. */
  refused = 0;
  port = 0;

  constructor(private readonly backendPorts: readonly number[]) {
    this.server = createServer((client) => this.accept(client));
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}${WS_PATH}`;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket): void {
    this.track(client);
    client.on('error', () => client.destroy());
    // Bytes the client sends before a backend is chosen wait in its buffer.
    client.pause();
    const first = this.next;
    this.next = (this.next + 1) % this.backendPorts.length;
    this.tryBackend(client, first, 0);
  }

  private tryBackend(client: Socket, start: number, tried: number): void {
    if (client.destroyed) return;
    if (tried === this.backendPorts.length) {
      this.refused += 1;
      client.destroy();
      return;
    }
    const port = this.backendPorts[(start + tried) % this.backendPorts.length]!;
    const backend = connect(port, '127.0.0.1');
    const refused = () => this.tryBackend(client, start, tried + 1);
    backend.once('error', refused);
    backend.once('connect', () => {
      backend.off('error', refused);
      if (client.destroyed) return void backend.destroy();
      this.handedTo.set(port, (this.handedTo.get(port) ?? 0) + 1);
      this.track(backend);
      // Either side ending or failing ends both, as a node's death ends its clients' connections.
      const end = () => { client.destroy(); backend.destroy(); };
      backend.on('error', end);
      for (const socket of [client, backend]) socket.on('close', end);
      client.pipe(backend);
      backend.pipe(client);
      client.resume();
    });
  }

  private track(socket: Socket): void {
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
  }
}
