// What a module (a trigger kind, an action kind) is handed to check its part of a policy against
// the catalog (catalog-rules.ts builds it): each helper reports at the policy's dotted path.
import type { ColumnInfo, TableInfo } from './catalog.ts';
import type { TableRef } from './types.ts';

export interface CatalogCheck {
  /** The lender's base table, or a problem (missing, a view, lethe's or PostgreSQL's own). */
  table(ref: TableRef, path: string): TableInfo | undefined;
  /** The column, or a problem naming the table's columns. */
  column(t: TableInfo | undefined, name: string, path: string): ColumnInfo | undefined;
  /** A column that starts a clock: date, timestamp or timestamptz. */
  clock(t: TableInfo | undefined, name: string, path: string): ColumnInfo | undefined;
  /** Some index on `t` leads with `column`. */
  indexed(t: TableInfo, column: string): boolean;
  /** Some index finds the rows past `clock` among those the policy fixes by equality or a list. */
  servesScan(t: TableInfo, clock: string): boolean;
  /** The columns `where` fixes by equality or a list: what may lead an index before the clock. */
  readonly equalities: ReadonlySet<string>;
  /** `column is type`, as messages say it. */
  describe(c: ColumnInfo): string;
  /** How an operator names a table (`public` implied). */
  shown(t: TableRef): string;
  problem(path: string, message: string): void;
  warning(path: string, message: string): void;
}
