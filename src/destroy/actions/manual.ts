// `action: manual` with `register:`: the source table is a register of physical items — archive
// boxes, tapes, disks — that people destroy, by a method fit for each medium (JR/T 0171-2020),
// through destruction tasks (src/tasks/) with an approver, an executor and a witness. No purge
// batch ever carries it out.
import { z } from 'zod';
import { identifier, strict } from '../../policy/schema-parts.ts';
import type { Register } from '../../policy/types.ts';
import type { ActionModule } from './types.ts';

/** How a medium is destroyed (JR/T 0171-2020 asks for a method fit for the medium). */
export const DESTRUCTION_METHODS = ['shred', 'degauss', 'overwrite-3', 'crush', 'incinerate'] as const;
export type DestructionMethod = (typeof DESTRUCTION_METHODS)[number];
const MEDIA_CLASS = /^[a-z][a-z0-9_-]{0,39}$/;

/** Who destroys what by which method, when no policy says otherwise (JR/T 0171-2020 ✘). */
export const DEFAULT_METHODS: Record<string, DestructionMethod> = {
  paper: 'shred',
  magnetic: 'degauss',
  disk: 'overwrite-3',
  optical: 'crush',
  flash: 'crush',
};

const register = strict({
  location: identifier,
  media_class: identifier,
  methods: z.record(
    z.string().regex(MEDIA_CLASS, 'is not a media class name (lowercase letters, digits, _ and -, e.g. paper)'),
    z.enum(DESTRUCTION_METHODS, { error: `is not a destruction method (${DESTRUCTION_METHODS.join(', ')})` }),
  ).optional(),
});

export const manualAction: ActionModule<{ kind: 'manual'; register: Register }> = {
  kind: 'manual',
  syntax: 'manual',
  summary: 'physical items destroyed by people, with a task',
  schema: z.literal('manual'),
  policyKeys: { register: register.optional() },
  matches: (raw) => raw === 'manual',
  resolve(raw, problem) {
    const r = (raw as { register?: z.infer<typeof register> }).register;
    if (r === undefined) {
      problem(['action'], 'action manual needs register: { location: column, media_class: column, methods?: { class: method } }');
      return undefined;
    }
    // Rows of a register are items in a cabinet: nothing hangs off them that lethe could delete,
    // and partners are told when the data itself goes, not when its paper copy is shredded.
    if (raw.children !== undefined) problem(['children'], 'children are not used by action manual: people destroy the register\'s items, and confirming a task deletes their register rows', 'key');
    if (raw.partners !== undefined) problem(['partners'], 'partners: notify is not supported with action manual', 'key');
    for (const column of [r.location, r.media_class]) {
      if (column === raw.source.key) problem(['register'], `register names the source key ${column} as a location or media class column`, 'key');
    }
    return { kind: 'manual', register: { location: r.location, mediaClass: r.media_class, methods: { ...DEFAULT_METHODS, ...(r.methods ?? {}) } } };
  },
  // Shown to the operator as text and grouped by: any type that reads as text will do.
  check(_p, a, c, src) {
    c.column(src, a.register.location, 'register.location');
    c.column(src, a.register.mediaClass, 'register.media_class');
  },
  purge: null,
};
