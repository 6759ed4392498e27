/** A table column and the origin id its result columns carry (ResultColumn.origin), for masking. */
export interface ColumnOrigin {
  name: string;
  tableOid: number;
  attnum: number;
}

/** Name resolution as the database does it, for the authorize stage. */
export interface Catalog {
  /** The schema an unqualified table or view name resolves to, or undefined. */
  resolve(name: string): Promise<string | undefined>;
  /** A table's columns with the origin ids its result columns carry (ResultColumn.origin). */
  columnOrigins(schema: string, table: string): Promise<ColumnOrigin[]>;
  /** Like resolve, for any relation kind (indexes too). */
  locate(name: string): Promise<string | undefined>;
  /** Where an unqualified CREATE puts a new object. */
  creationSchema(): Promise<string | undefined>;
  /** Forget cached names (after a schema change). */
  invalidate(): void;
  /** Schemas no write or schema change may touch (catalogs, server state); PostgreSQL's when absent. */
  isSystemSchema?(schema: string): boolean;
}
