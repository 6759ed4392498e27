/**
 * Synthetic origin ids for SQLite result columns. SQLite names a column's origin
 * (database, table, column) instead of numbering it, so the source and the catalog
 * share this registry: the same table and column get the same numbers from both,
 * which is what masking matches on (ResultColumn.origin, MaskPlan).
 */
export class OriginIds {
  private readonly tables = new Map<string, { oid: number; columns: Map<string, number> }>();

  /** SQLite compares names without regard to case, so the registry does too. */
  id(database: string, table: string, column: string): { tableOid: number; attnum: number } {
    const key = `${database.toLowerCase()}\u0000${table.toLowerCase()}`;
    let entry = this.tables.get(key);
    if (entry === undefined) {
      entry = { oid: this.tables.size + 1, columns: new Map() };
      this.tables.set(key, entry);
    }
    const name = column.toLowerCase();
    let attnum = entry.columns.get(name);
    if (attnum === undefined) {
      attnum = entry.columns.size + 1;
      entry.columns.set(name, attnum);
    }
    return { tableOid: entry.oid, attnum };
  }
}
