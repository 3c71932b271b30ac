// Where things were written in a policy file: YAML node offsets turned into 1-based line:col.
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair } from 'yaml';
import type { SourcePosition } from '../errors.ts';

export type Path = readonly (string | number)[];

export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    readonly file: string,
    private readonly textLength: number,
  ) {}

  at(offset: number): SourcePosition {
    // An error at the very end (an unclosed bracket) is shown on the last line, not past it.
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.textLength - 1)));
    return { file: this.file, line, col };
  }

  /** Start of the document's content (where a missing top-level key is reported). */
  top(): SourcePosition {
    const range = (this.doc.contents as Node | null)?.range;
    return this.at(range ? range[0] : 0);
  }

  /** The pair holding `path` (a map entry), if the file has one. */
  pair(path: Path): Pair | undefined {
    if (path.length === 0) return undefined;
    const parent = this.node(path.slice(0, -1));
    const last = path[path.length - 1];
    if (!isMap(parent)) return undefined;
    return parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
  }

  /** The node at `path`: map keys by name, sequence items by index. */
  node(path: Path): unknown {
    let cur: unknown = this.doc.contents;
    for (const seg of path) {
      if (isMap(cur)) {
        const p = cur.items.find((i) => isScalar(i.key) && String(i.key.value) === String(seg));
        if (!p) return undefined;
        cur = p.value;
      } else if (isSeq(cur)) {
        cur = cur.items[Number(seg)];
      } else {
        return undefined;
      }
    }
    return cur;
  }

  /** The key as written (`status:` in `where`), falling back to the value. */
  key(path: Path): SourcePosition | undefined {
    const p = this.pair(path);
    const range = (p?.key as Node | undefined)?.range;
    return range ? this.at(range[0]) : this.value(path);
  }

  /**
   * The value at `path`; an empty value (`from:` and nothing) or a block mapping or list points
   * at its key. When the path does not exist, the nearest written ancestor's key.
   */
  value(path: Path): SourcePosition | undefined {
    const n = this.node(path) as Node | undefined;
    const empty = isScalar(n) && n.value === null && n.range?.[0] === n.range?.[1];
    // A block mapping or list starts on the line after its key: name it by the key.
    const collection = (isMap(n) || isSeq(n)) && !n.flow && this.pair(path) !== undefined;
    if (n && n.range && !empty && !collection) return this.at(n.range[0]);
    if (path.length === 0) return this.top();
    const p = this.pair(path);
    const keyRange = (p?.key as Node | undefined)?.range;
    if (keyRange) return this.at(keyRange[0]);
    return this.value(path.slice(0, -1));
  }

  /** Where a missing key belongs: its parent's key (`source:`), or the top of the file. */
  missing(path: Path): SourcePosition {
    const parent = path.slice(0, -1);
    if (parent.length === 0) return this.top();
    return this.key(parent) ?? this.top();
  }

  /**
   * Every written path (dotted, `children.0.table`) to its position: scalar values at the
   * value, collections at their key. Keys that name columns (`source.where.<col>`,
   * `action.anonymise.<col>`) point at the key, where the column name is written.
   */
  all(): Record<string, SourcePosition> {
    const out: Record<string, SourcePosition> = {};
    const walk = (node: unknown, path: string[]): void => {
      if (isMap(node)) {
        for (const item of node.items) {
          if (!isPair(item) || !isScalar(item.key)) continue;
          const sub = [...path, String(item.key.value)];
          const dotted = sub.join('.');
          const keyPos = item.key.range ? this.at(item.key.range[0]) : undefined;
          const namesColumn = /^(source\.where|action\.anonymise)$/.test(path.join('.'));
          const v = item.value as Node | null;
          const pos = !namesColumn && isScalar(v) && v.range && v.range[0] !== v.range[1] ? this.at(v.range[0]) : keyPos;
          if (pos) out[dotted] = pos;
          walk(item.value, sub);
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, i) => {
          const sub = [...path, String(i)];
          const range = (item as Node | null)?.range;
          if (range) out[sub.join('.')] = this.at(range[0]);
          walk(item, sub);
        });
      }
    };
    walk(this.doc.contents, []);
    return out;
  }
}
