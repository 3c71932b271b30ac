import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { JOB_FILES, registry } from '../../jobs/index.ts';
import { QUEUE_OF } from '../../src/pipeline/queues.ts';

const JOBS_DIR = fileURLToPath(new URL('../../jobs', import.meta.url));

describe('jobs registry', () => {
  it('registers every file in jobs/ and nothing that has no file', () => {
    const files = readdirSync(JOBS_DIR).filter((f) => f.endsWith('.ts') && f !== 'index.ts').sort();
    expect(Object.values(JOB_FILES).sort()).toEqual(files);
    expect(Object.keys(registry).sort()).toEqual(Object.keys(JOB_FILES).sort());
  });

  it('names each job after its file and routes it to a queue', () => {
    for (const [name, file] of Object.entries(JOB_FILES)) {
      expect(file).toBe(`${name}.ts`);
      expect(QUEUE_OF[name as keyof typeof QUEUE_OF]).toBeDefined();
    }
  });
});
