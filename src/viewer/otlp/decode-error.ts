/**
 * The error of an OTLP export the decoders cannot read, naming the field where reading stopped
 * (e.g. `resourceSpans[0].scopeSpans[1].spans[3].traceId`).
 *
 * @module
 */

/** Thrown by the OTLP decoders for a malformed export; the receivers answer it with 400. */
export class OtlpDecodeError extends Error {
  /** The field where reading stopped, as a path in the OTLP/JSON spelling ('' for the export itself). */
  readonly field: string;

  constructor(field: string, problem: string) {
    super(field === '' ? problem : `${field}: ${problem}`);
    this.name = 'OtlpDecodeError';
    this.field = field;
  }
}

/** The spans of one export, with the spans refused (OTLP's partial success). */
export interface DecodedExport {
  readonly spans: import('../span-record.ts').SpanRecord[];
  /** Spans refused (bad ids): counted in `partial_success.rejected_spans`. */
  readonly rejected: number;
  /** Why the first refused span was refused, naming its field; '' when none was. */
  readonly rejectionMessage: string;
}
