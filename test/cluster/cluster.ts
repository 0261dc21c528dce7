// N nodes sharing one database (and Redis, when the suite has it) behind a round-robin proxy, with the
// chaos fixtures: what the chaos and rolling-restart tests start, and tear down in afterAll.
//
//   const cluster = new Cluster();
//   afterAll(() => cluster.stop());
//   await cluster.start({ names: ['A', 'B'], fixtures: { accounts: 2, agentsPerAccount: 1, origin } });
//   cluster.proxy.wsUrl; cluster.nodes[0].stop('SIGTERM'); cluster.env.databaseUrl
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChaosFixtures } from '../chaos/server-child.ts';
import { NodeProcess, clusterEnv, freePort, type ClusterEnv } from './node-process.ts';
import { RoundRobinProxy } from './proxy.ts';

export class Cluster {
  readonly nodes: NodeProcess[] = [];
  private scratch: string | undefined;
  private started: { env: ClusterEnv; proxy: RoundRobinProxy; fixtures: ChaosFixtures } | undefined;
  private proxyStarted: RoundRobinProxy | undefined;
  private envStarted: ClusterEnv | undefined;

  /** Nodes named `names`; the first creates the fixtures, the others start together after it. */
  async start(options: { names: string[]; fixtures: { accounts: number; agentsPerAccount: number; origin: string } }): Promise<this> {
    this.scratch = mkdtempSync(join(tmpdir(), 'parley-cluster-'));
    const env = this.envStarted = await clusterEnv({ scratch: this.scratch, fixtures: options.fixtures });
    for (const name of options.names) this.nodes.push(new NodeProcess(env.nodeEnv(await freePort()), name));
    const [first, ...others] = this.nodes;
    await first!.start();
    await Promise.all(others.map((node) => node.start()));
    const proxy = this.proxyStarted = await new RoundRobinProxy(this.nodes.map((node) => node.port)).listen();
    this.started = { env, proxy, fixtures: env.fixtures() };
    return this;
  }

  get env(): ClusterEnv {
    return this.ready().env;
  }

  /** Where clients connect: the nodes in turn. */
  get proxy(): RoundRobinProxy {
    return this.ready().proxy;
  }

  get fixtures(): ChaosFixtures {
    return this.ready().fixtures;
  }

  /** Connections the proxy has handed to each node so far, by node name. */
  connectionsPerNode(): Record<string, number> {
    return Object.fromEntries(this.nodes.map((node) => [node.name, this.proxy.handedTo.get(node.port) ?? 0]));
  }

  /** Kills what was started (also after a start that failed half way), drops the database, removes the files. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop('SIGKILL')));
    await this.proxyStarted?.close();
    await this.envStarted?.close();
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
  }

  private ready(): NonNullable<Cluster['started']> {
    if (!this.started) throw new Error('the cluster is not started');
    return this.started;
  }
}
