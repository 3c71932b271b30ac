// The explicit registry: job name → processor. A test checks that every file in jobs/ is here.
import type { JobRegistry } from '../src/pipeline/workers.ts';
import { scanPolicy } from './scan-policy.ts';
import { purgeBatchJob } from './purge-batch.ts';
import { eraseSubject } from './erase-subject.ts';
import { notifyPartner } from './notify-partner.ts';
import { deleteObjectJob } from './delete-object.ts';

export const registry: JobRegistry = {
  'scan-policy': scanPolicy,
  'purge-batch': purgeBatchJob,
  'erase-subject': eraseSubject,
  'notify-partner': notifyPartner,
  'delete-object': deleteObjectJob,
};

/** The files in jobs/ that define a job, by job name (checked by test/jobs/registry.test.ts). */
export const JOB_FILES: Record<keyof JobRegistry, string> = {
  'scan-policy': 'scan-policy.ts',
  'purge-batch': 'purge-batch.ts',
  'erase-subject': 'erase-subject.ts',
  'notify-partner': 'notify-partner.ts',
  'delete-object': 'delete-object.ts',
};
