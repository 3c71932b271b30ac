import type { Executor } from '../db/connect.ts';
import type { ServiceDeps } from '../service.ts';
import type { ErasureView } from './types.ts';

export interface NewErasure {
  subject: string;
  ticket: string;
  actor: string;
}

/**
 * Records an erasure request (status `received`) and enqueues its execution (job
 * `erase-subject`). Throws UsageError for a duplicate ticket, NotFoundError for a subject no
 * policy knows. Nothing is recorded when it throws.
 */
export async function submitErasureRequest(_deps: ServiceDeps, _req: NewErasure): Promise<ErasureView> {
  throw new Error('not implemented yet');
}

export async function getErasureRequest(_db: Executor, _id: string): Promise<ErasureView | undefined> {
  throw new Error('not implemented yet');
}

export async function listErasureRequests(_db: Executor): Promise<ErasureView[]> {
  throw new Error('not implemented yet');
}
