// bull-board without its Fastify adapter: @bull-board/api supplies the API handlers and the
// route list, @bull-board/ui the page and its assets, and lethe registers every route itself
// (src/server/routes/dashboard.ts), so each one passes the role table and the session check.
// (@bull-board/fastify would add @fastify/static, @fastify/view and ejs, and register its routes
// out of reach of the route guard; see README, "Queue dashboard".)
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { Queue } from 'bullmq';
import type { createBullBoard as CreateBullBoard } from '@bull-board/api';
import type { BullMQAdapter as BullMQAdapterClass } from '@bull-board/api/bullMQAdapter';
import type { AppControllerRoute, AppViewRoute, BullBoardQueues, IServerAdapter, UIConfig } from '@bull-board/api/typings/app';
import type { Role } from '../../tokens/tokens.ts';
import type { Logger } from '../../log.ts';
import { describeError } from '../../log.ts';
import { partnerQueueName } from '../../pipeline/queues.ts';
import { redisClient, type RedisClient } from '../../pipeline/redis.ts';

// Loaded on first use (bull-board is CommonJS): every CLI command imports the server's modules,
// and only `serve` needs bull-board and its dependencies (lodash among them).
const requireCjs = createRequire(import.meta.url);
const bullBoard = () => requireCjs('@bull-board/api') as { createBullBoard: typeof CreateBullBoard };
const bullMQAdapter = () => requireCjs('@bull-board/api/bullMQAdapter') as { BullMQAdapter: typeof BullMQAdapterClass };

/** What bull-board's createBullBoard hands its server adapter: collected, then served by lethe. */
export class BoardRoutes implements IServerAdapter {
  api: AppControllerRoute[] = [];
  entry: AppViewRoute | undefined;
  uiConfig: UIConfig = {};
  viewsPath = '';
  staticPath = '';
  setQueues(): this { return this; }
  setViewsPath(path: string): this { this.viewsPath = path; return this; }
  setStaticPath(_route: string, path: string): this { this.staticPath = path; return this; }
  setEntryRoute(route: AppViewRoute): this { this.entry = route; return this; }
  setErrorHandler(): this { return this; }
  setApiRoutes(routes: AppControllerRoute[]): this { this.api = routes; return this; }
  setUIConfig(config: UIConfig): this { this.uiConfig = config; return this; }
}

/** bull-board's routes and page, with no queue yet: queues are passed to each API call. */
export function collectBoard(basePath: string): BoardRoutes {
  const board = new BoardRoutes();
  const uiBasePath = dirname(requireCjs.resolve('@bull-board/ui/package.json'));
  bullBoard().createBullBoard({
    queues: [], serverAdapter: board,
    options: { uiBasePath, uiConfig: { boardTitle: 'lethe queues', hideDocsLink: true, miscLinks: [{ text: 'Log out', url: `${basePath}/logout` }] } },
  });
  return board;
}

export const QUEUE_DESCRIPTIONS: Record<string, string> = {
  scan: 'one job per policy scan: finds due records and records them as batches',
  purge: 'one job per batch (destroys it and writes its evidence) or erasure request',
};

export interface DashboardQueueSource {
  redisUrl: string;
  prefix: string;
  partnerIds: readonly string[];
  log: Logger;
}

/**
 * lethe's queues (scan, purge, one per partner) under LETHE_QUEUE_PREFIX, twice: read-only
 * adapters for every role but operator, writable ones for operators. Redis is connected on the
 * first dashboard request, so a server whose dashboard nobody opens holds no extra connection.
 */
export class DashboardQueues {
  private built: { readOnly: BullBoardQueues; writable: BullBoardQueues; queues: Queue[]; connection: RedisClient } | undefined;

  constructor(private readonly source: DashboardQueueSource) {}

  names(): string[] {
    return ['scan', 'purge', ...this.source.partnerIds.map(partnerQueueName)];
  }

  for(role: Role): BullBoardQueues {
    const built = this.build();
    return role === 'operator' ? built.writable : built.readOnly;
  }

  private build() {
    if (this.built) return this.built;
    const { redisUrl, prefix, log } = this.source;
    // Not BullMQ's worker setting (retry forever): a dashboard request must fail, not hang, when Redis is down.
    const connection = redisClient(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2000 });
    connection.on('error', (e) => log.warn({ err: describeError(e) }, 'dashboard: Redis connection error'));
    const queues = this.names().map((name) => {
      const q = new Queue(name, { connection, prefix });
      q.on('error', (e) => log.warn({ queue: name, err: describeError(e) }, 'dashboard: queue error'));
      return q;
    });
    const { BullMQAdapter } = bullMQAdapter();
    const adapters = (readOnlyMode: boolean) => new Map(queues.map((q) => {
      const a = new BullMQAdapter(q, { readOnlyMode, allowRetries: !readOnlyMode, description: QUEUE_DESCRIPTIONS[q.name] ?? 'purge requests to one partner' });
      return [a.getName(), a] as const;
    }));
    this.built = { readOnly: adapters(true), writable: adapters(false), queues, connection };
    return this.built;
  }

  async close(): Promise<void> {
    if (!this.built) return;
    await Promise.all(this.built.queues.map((q) => q.close()));
    this.built.connection.disconnect();
    this.built = undefined;
  }
}

/** bull-board's index page with lethe's config; the Google Fonts link is dropped (the CSP forbids it). */
export function renderEntry(board: BoardRoutes, basePath: string): string {
  const view = board.entry!.handler({ basePath, uiConfig: board.uiConfig });
  const template = readFileSync(join(board.viewsPath, view.name), 'utf8');
  const params = view.params as Record<string, string | undefined>;
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return template
    .replace(/<link href="https:\/\/fonts\.googleapis\.com[^>]*>\s*/, '')
    .replace(/<%([=-]) *(\w+) *%>/g, (_, kind: string, name: string) => {
      const value = params[name] ?? '';
      // `<%-` is the page's JSON config, which bull-board has already escaped for a script tag.
      return kind === '-' ? value : escape(value);
    });
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8',
};

/** One of bull-board's static assets, or undefined for a path outside them or an unknown type. */
export async function readAsset(board: BoardRoutes, relative: string): Promise<{ body: Buffer; type: string } | undefined> {
  const root = resolve(board.staticPath);
  const file = resolve(root, relative);
  const type = CONTENT_TYPES[extname(file)];
  if (!file.startsWith(root + sep) || !type) return undefined;
  try {
    return { body: await readFile(file), type };
  } catch {
    return undefined;
  }
}

export type BoardRoute =
  | { kind: 'page'; method: 'GET'; url: string }
  | { kind: 'asset'; method: 'GET'; url: string }
  | { kind: 'api'; method: 'GET' | 'POST' | 'PUT' | 'PATCH'; url: string; api: AppControllerRoute };

/** Every route the dashboard serves besides its login: the page's, the assets', bull-board's API. */
export function boardRoutes(board: BoardRoutes, basePath: string): BoardRoute[] {
  const out: BoardRoute[] = [{ kind: 'page', method: 'GET', url: basePath }];
  for (const r of [board.entry!.route].flat()) out.push({ kind: 'page', method: 'GET', url: `${basePath}${r}` });
  out.push({ kind: 'asset', method: 'GET', url: `${basePath}/static/*` });
  for (const api of board.api) {
    for (const method of [api.method].flat()) {
      for (const path of [api.route].flat()) out.push({ kind: 'api', method: method.toUpperCase() as 'GET', url: `${basePath}${path}`, api });
    }
  }
  return out;
}
