import type { ReadResult, ResultColumn } from '../../../engine/source.js';
import { decoderFor, typeName, type Decoder } from './decode.js';

export interface FieldDescription {
  readonly name: string;
  readonly dataTypeID: number;
  /** Table OID and attribute number when the column is a plain table column, else 0. */
  readonly tableID?: number;
  readonly columnID?: number;
}

/** Per-value overhead counted on top of the text, so many tiny values still hit the byte cap. */
const VALUE_OVERHEAD = 4;

/**
 * Collects rows while they stream in and says when to stop: after maxRows rows
 * (one more row proves truncation) or before the byte cap would be crossed.
 */
export class RowCollector {
  private columns: ResultColumn[] = [];
  private decoders: Decoder[] = [];
  private readonly rows: unknown[][] = [];
  private bytes = 0;
  private truncatedBy: 'rows' | 'bytes' | undefined;

  constructor(
    private readonly maxRows: number,
    private readonly maxBytes: number,
  ) {}

  describe(fields: readonly FieldDescription[]): void {
    this.columns = fields.map((f) =>
      f.tableID ? { name: f.name, type: typeName(f.dataTypeID), origin: { tableOid: f.tableID, attnum: f.columnID ?? 0 } } : { name: f.name, type: typeName(f.dataTypeID) },
    );
    this.decoders = fields.map((f) => decoderFor(f.dataTypeID));
  }

  get full(): boolean {
    return this.truncatedBy !== undefined;
  }

  /**
   * The longest DataRow message (its length field) that could still be kept: a value counts
   * at least a third of its UTF-8 bytes (one UTF-16 unit per 3 bytes at most), so a longer
   * row can never fit the bytes left and need not be read at all. Rows up to `floor` always
   * pass, so an ordinary row after the cap is dropped by add() rather than ending the read.
   */
  rowAllowance(floor: number): number {
    const left = Math.max(0, this.maxBytes - this.bytes);
    return Math.max(floor, 3 * left + 6);
  }

  /** A row too large to read arrived (the wire gate refused it): the result ends here. */
  cutByBytes(): void {
    // With maxRows rows kept, any further row proves truncation by the row cap.
    this.truncatedBy ??= this.rows.length >= this.maxRows ? 'rows' : 'bytes';
  }

  /** Rows to ask the server for next: enough to fill the caps, never many more. */
  nextBatchSize(): number {
    const remaining = this.maxRows + 1 - this.rows.length;
    if (this.rows.length === 0) return Math.min(remaining, 100);
    const average = Math.max(1, this.bytes / this.rows.length);
    const byBytes = Math.ceil((this.maxBytes - this.bytes) / average) + 1;
    return Math.max(1, Math.min(remaining, byBytes, 5000));
  }

  /** Adds a row of text values; returns false once a cap is reached. */
  add(fields: readonly (string | null)[]): boolean {
    if (this.truncatedBy !== undefined) return false;
    if (this.rows.length >= this.maxRows) {
      this.truncatedBy = 'rows';
      return false;
    }
    let size = 0;
    const row = new Array<unknown>(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const text = fields[i];
      if (text === null || text === undefined) {
        row[i] = null;
        size += VALUE_OVERHEAD;
      } else {
        size += text.length + VALUE_OVERHEAD;
        const decode = this.decoders[i];
        row[i] = decode ? decode(text) : text;
      }
    }
    if (this.bytes + size > this.maxBytes) {
      this.truncatedBy = 'bytes';
      return false;
    }
    this.bytes += size;
    this.rows.push(row);
    return true;
  }

  result(): ReadResult {
    const base = { columns: this.columns, rows: this.rows, bytes: this.bytes };
    return this.truncatedBy === undefined
      ? { ...base, truncated: false }
      : { ...base, truncated: true, truncatedBy: this.truncatedBy };
  }
}
