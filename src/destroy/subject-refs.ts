import { subjectRef, type Keys } from '../crypto/keys.ts';

/** Subject refs of one batch, each computed once: a subject's records often share a batch. */
export class SubjectRefs {
  private readonly cache = new Map<string, string>();

  constructor(private readonly keys: Keys) {}

  of(subject: string | null): string | null {
    if (subject === null) return null;
    let ref = this.cache.get(subject);
    if (ref === undefined) this.cache.set(subject, (ref = subjectRef(this.keys, subject)));
    return ref;
  }
}
