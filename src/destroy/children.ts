import { sql } from 'drizzle-orm';
import type { Tx } from '../db/connect.ts';
import type { Ruleset } from '../engine.ts';
import { qualified, rows } from '../db/sql.ts';
import { qualifiedName, type Policy } from '../policy/types.ts';
import type { EvidenceInput } from '../evidence/append.ts';
import { recordRef, type Keys } from '../crypto/keys.ts';
import { pointerColumns } from '../objects/pointers.ts';
import type { PointerRows } from '../objects/outbox.ts';

type ChildEvidence = Pick<EvidenceInput, 'action' | 'table' | 'recordRef' | 'subjectRef' | 'fields'>;

/**
 * Deletes the declared children of the records about to go (before them, so foreign keys
 * hold), one evidence row per child row. Returns how many child rows went. A child with
 * `objects:` returns its pointers from the DELETE itself into `pointers` (src/objects/outbox.ts).
 */
export async function destroyChildren(
  tx: Tx, keys: Keys, rules: Ruleset, p: Policy, parentKeys: string[], subjectRefs: Map<string, string | null>,
  emit: (e: ChildEvidence) => void, pointers: PointerRows[] = [],
): Promise<number> {
  if (parentKeys.length === 0) return 0;
  let total = 0;
  for (const child of p.children) {
    const fkType = rules.types.of(child, child.foreignKey);
    const gone = await rows<{ k: string; fk: string }>(tx, sql`DELETE FROM ${qualified(child.schema, child.table)} c
      WHERE c.${sql.identifier(child.foreignKey)} = ANY(${sql.param(parentKeys)}::${sql.raw(fkType)}[])
      RETURNING c.${sql.identifier(child.key)}::text AS k, c.${sql.identifier(child.foreignKey)}::text AS fk
        ${pointerColumns(child.objects.map((o) => o.column), 'c')}`);
    if (child.objects.length > 0) {
      pointers.push({ table: child, objects: child.objects, rows: gone, key: (r) => String(r.k), subjectRef: (r) => subjectRefs.get(String(r.fk)) ?? null });
    }
    const name = qualifiedName(child);
    for (const g of gone) {
      emit({ action: 'delete', table: name, recordRef: recordRef(keys, name, g.k), subjectRef: subjectRefs.get(g.fk) ?? null, fields: null });
    }
    total += gone.length;
  }
  return total;
}
