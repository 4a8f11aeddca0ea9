// Column masking on the wire: DataRows of masked columns are rewritten before they reach the
// client. Which columns, is read from the RowDescription that precedes the rows (their relation OID
// and attribute number). In the extended protocol a client may Execute without a Describe (JDBC
// does for statements it described once): the session then sends its own Describe of the portal
// just before the Execute, and the reply is swallowed here. A FIFO of the Describes sent (the
// client's, ours) and of the Syncs between them tells replies apart, also after an error that
// makes the server skip to the Sync. A DataRow whose columns are not known is sent with every
// value NULL (fail closed).
import { Back, decodeRowDescription, rewriteDataRow } from '../../protocol/index.js';
import { maskValue, type ColumnMasker, type MaskText } from '../domain/masking.js';

const OWN = 0;
const INJECTED = 1;
/** a Sync, or a simple Query: each ends with a ReadyForQuery, and an error skips nothing past it */
const SYNC = 2;

const allNull = () => null;

export class WireMasking {
  private plan: (MaskText | null)[] | null = null;
  private types: number[] = [];
  private binary: boolean[] = [];
  /** a RowDescription (or NoData) came for the result now streaming */
  private described = false;
  private readonly sent: number[] = [];

  constructor(private readonly masker: ColumnMasker) {}

  describeSent(injected: boolean): void {
    this.sent.push(injected ? INJECTED : OWN);
  }

  /** a Sync (or a simple Query) went upstream: a ReadyForQuery answers it */
  syncSent(): void {
    this.sent.push(SYNC);
  }

  /** An internal Sync was answered (its ReadyForQuery never reaches the session). */
  synced(): void {
    this.dropThroughSync();
  }

  /** A frame from the server: undefined to forward it, null to swallow it, or the frame to send instead. */
  fromServer(type: number, buf: Buffer, start: number, end: number): Buffer | null | undefined {
    switch (type) {
      case Back.dataRow:
        if (!this.described) return rewriteDataRow(buf, start, end, allNull);
        return this.plan === null ? undefined : this.maskRow(buf, start, end, this.plan);
      case Back.rowDescription: {
        const fields = decodeRowDescription(buf, start, end);
        this.plan = this.masker.plan(fields);
        this.types = fields.map((f) => f.dataTypeID);
        this.binary = fields.map((f) => f.format !== 0);
        this.described = true;
        return this.replyToDescribe();
      }
      case Back.noData:
        this.plan = null;
        this.described = true;
        return this.replyToDescribe();
      case Back.commandComplete:
      case Back.emptyQuery:
      case Back.portalSuspended:
        this.ended();
        return undefined;
      case Back.errorResponse:
        // the server skips the rest of the batch: its Describes get no reply
        this.ended();
        while (this.sent.length > 0 && this.sent[0] !== SYNC) this.sent.shift();
        return undefined;
      case Back.readyForQuery:
        this.ended();
        this.dropThroughSync();
        return undefined;
      default:
        return undefined;
    }
  }

  private maskRow(buf: Buffer, start: number, end: number, plan: (MaskText | null)[]): Buffer {
    return rewriteDataRow(buf, start, end, (i, value) => {
      const mask = i < plan.length ? plan[i] : null;
      if (mask === null) return undefined;
      return maskValue(mask, this.types[i], this.binary[i], value === null ? null : value.toString('utf8'));
    });
  }

  /** A RowDescription or NoData answering a Describe: swallowed when the Describe was ours. */
  private replyToDescribe(): null | undefined {
    const head = this.sent[0];
    if (head !== OWN && head !== INJECTED) return undefined; // a simple Query's RowDescription (its marker is ahead)
    this.sent.shift();
    return head === INJECTED ? null : undefined;
  }

  private ended(): void {
    this.plan = null;
    this.described = false;
  }

  private dropThroughSync(): void {
    while (this.sent.length > 0 && this.sent.shift() !== SYNC);
  }
}
