// What the long-running surfaces (worker, serve) hand the engine's request handlers.
import type { Config } from './config.ts';
import type { EngineContext, Ruleset } from './engine.ts';
import type { Enqueue } from './pipeline/queues.ts';

export interface ServiceDeps {
  readonly ctx: EngineContext;
  readonly rules: Ruleset;
  readonly config: Config;
  readonly enqueue: Enqueue;
}
