// The nginx half of examples/cluster: where Debian's nginx is, and its config for this run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const template = new URL('./nginx.conf.template', import.meta.url);

/** NGINX when set, else Debian's /usr/sbin/nginx (outside a non-root PATH), else the PATH's; null when none. */
export function findNginx(env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = env.NGINX ? [env.NGINX] : ['/usr/sbin/nginx', ...(env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'nginx'))];
  return candidates.find((path) => existsSync(path)) ?? null;
}

/** Fills in the template; returns the config file's path inside runDir. */
export function writeNginxConfig(runDir: string, ports: { port: number; nodeA: number; nodeB: number }): string {
  const values: Record<string, string> = {
    RUN_DIR: runDir, PORT: String(ports.port), NODE_A_PORT: String(ports.nodeA), NODE_B_PORT: String(ports.nodeB),
  };
  const config = readFileSync(template, 'utf8').replace(/\{\{(\w+)\}\}/g, (_, name: string) => values[name]!);
  const path = join(runDir, 'nginx.conf');
  writeFileSync(path, config);
  return path;
}
