/**
 * Synthetic origin ids for engines without table OIDs (MySQL, SQLite): their result
 * metadata names a column's database, table and column instead of numbering it.
 * Masking matches result columns by `{ tableOid, attnum }` (ResultColumn.origin,
 * MaskPlan), so an engine's source and catalog share one registry, which gives each
 * (database, table) a stable number and each column of it a stable number, for the
 * process lifetime. Names are compared case-insensitively, as both engines compare
 * column names.
 */
export class OriginIds {
  private readonly tables = new Map<string, { id: number; columns: Map<string, number> }>();

  of(database: string, table: string, column: string): { tableOid: number; attnum: number } {
    const key = `${database.toLowerCase()}\u0000${table.toLowerCase()}`;
    let entry = this.tables.get(key);
    if (entry === undefined) {
      entry = { id: this.tables.size + 1, columns: new Map() };
      this.tables.set(key, entry);
    }
    const name = column.toLowerCase();
    let attnum = entry.columns.get(name);
    if (attnum === undefined) {
      attnum = entry.columns.size + 1;
      entry.columns.set(name, attnum);
    }
    return { tableOid: entry.id, attnum };
  }
}
