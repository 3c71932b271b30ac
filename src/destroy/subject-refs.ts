import { subjectRef, type Keys } from '../crypto/keys.ts';

/**
 * Subject refs, each computed once: a subject's records often share a batch, and an access
 * log's customers come back in every partition of it. `capacity` bounds the memory of a cache
 * kept across many partitions: past it, the cache starts over.
 */
export class SubjectRefs {
  private readonly cache = new Map<string, string>();

  constructor(private readonly keys: Keys, private readonly capacity = Infinity) {}

  of(subject: string | null): string | null {
    if (subject === null) return null;
    let ref = this.cache.get(subject);
    if (ref === undefined) {
      if (this.cache.size >= this.capacity) this.cache.clear();
      this.cache.set(subject, (ref = subjectRef(this.keys, subject)));
    }
    return ref;
  }
}
