/**
 * MySQL has no table OIDs: result metadata names a column's database, table and
 * column instead. Masking matches result columns by `{ tableOid, attnum }`, so the
 * source and the catalog share this registry, which gives each (database, table) a
 * stable number and each column of it a stable number, for the process lifetime.
 * Names are compared case-insensitively, as MySQL compares column names.
 */
export class OriginIds {
  private readonly tables = new Map<string, { id: number; columns: Map<string, number> }>();

  of(database: string, table: string, column: string): { tableOid: number; attnum: number } {
    const key = `${database}\u0000${table}`.toLowerCase();
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
