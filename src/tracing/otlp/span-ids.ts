/**
 * W3C trace and span ids, kept both as 32-bit words (what the OTLP encoder writes) and as the lowercase hex
 * strings OpenTelemetry's API carries. Ids are random words taken from a pool filled by the platform's
 * cryptographic generator a few thousand words at a time: cheaper per word than `Math.random` (what the SDK's
 * generator uses), and unpredictable; an all-zero id is invalid in W3C Trace Context, so one is never made.
 *
 * @module
 */

import { getRandomValues } from 'node:crypto';
import { type SpanContext, TraceFlags } from '@opentelemetry/api';

/**
 * An id as big-endian 32-bit words (two for a span id, four for a trace id) and as hex digits. Words are always
 * kept in a `Uint32Array`, as a recorded tree keeps them, so that the encoders' reads of them stay monomorphic.
 */
export class Id {
  readonly words: Uint32Array;
  #hex: string | undefined;

  constructor(words: Uint32Array, hex?: string) {
    this.words = words;
    this.#hex = hex;
  }

  /** The id's lowercase hex digits (made when first asked for: most recorded spans never are). */
  get hex(): string {
    return (this.#hex ??= wordsHex(this.words, 0, this.words.length));
  }
}

const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Random words for ids, and how many of them were taken. */
const POOL_WORDS = 4096;
const POOL = new Uint32Array(POOL_WORDS);
let taken = POOL_WORDS;

function randomWord(): number {
  if (taken === POOL_WORDS) refill();
  return POOL[taken++]!;
}

function refill(): void {
  getRandomValues(POOL);
  taken = 0;
}

function wordHex(word: number): string {
  return (
    BYTE_HEX[word >>> 24]! + BYTE_HEX[(word >>> 16) & 0xff]! + BYTE_HEX[(word >>> 8) & 0xff]! + BYTE_HEX[word & 0xff]!
  );
}

/** A new random 16-byte trace id. */
export function newTraceId(): Id {
  const words = new Uint32Array(4);
  putTraceId(words, 0);
  return new Id(words);
}

/** A new random 8-byte span id. */
export function newSpanId(): Id {
  const words = new Uint32Array(2);
  putSpanId(words, 0);
  return new Id(words);
}

/** Puts a new random trace id in `words[at..at + 4)`. */
export function putTraceId(words: Uint32Array, at: number): void {
  words[at] = randomWord();
  words[at + 1] = randomWord();
  words[at + 2] = randomWord();
  words[at + 3] = randomWord() || ((words[at]! | words[at + 1]! | words[at + 2]!) === 0 ? 1 : 0);
}

/** Puts a new random span id in `words[at..at + 2)`. */
export function putSpanId(words: Uint32Array, at: number): void {
  words[at] = randomWord();
  words[at + 1] = randomWord() || (words[at] === 0 ? 1 : 0);
}

/** The id whose hex digits are `hex` (16 or 32 of them, as a valid span context carries). */
export function idFromHex(hex: string): Id {
  const words = new Uint32Array(hex.length === 16 ? 2 : 4);
  putHexId(words, 0, hex);
  return new Id(words, hex);
}

/** Puts the id whose hex digits are `hex` (16 or 32 of them) in `words` from `at`. */
export function putHexId(words: Uint32Array, at: number, hex: string): void {
  for (let i = 0; i < hex.length >>> 3; i++) words[at + i] = hexWord(hex, i * 8);
}

/** The 32-bit word of the 8 hex digits (either case) at `at`. */
function hexWord(hex: string, at: number): number {
  let word = 0;
  for (let i = at; i < at + 8; i++) {
    const code = hex.charCodeAt(i) | 0x20;
    word = (word << 4) | (code <= 0x39 ? code - 0x30 : code - 0x57);
  }
  return word >>> 0;
}

/**
 * The context of a sampled span whose ids are kept as 32-bit words (a recorded tree's, a batch's): encoders
 * write the words ({@link writeContextFields}); the hex ids the OpenTelemetry API shows are made only when read.
 */
export class WordsSpanContext implements SpanContext {
  readonly traceFlags = TraceFlags.SAMPLED;
  /** The trace id is `traceWords[traceAt..traceAt + 4)`, the span id `spanWords[spanAt..spanAt + 2)`. */
  readonly traceWords: Uint32Array;
  readonly traceAt: number;
  readonly spanWords: Uint32Array;
  readonly spanAt: number;
  #traceId: string | undefined;
  #spanId: string | undefined;

  constructor(traceWords: Uint32Array, traceAt: number, spanWords: Uint32Array, spanAt: number) {
    this.traceWords = traceWords;
    this.traceAt = traceAt;
    this.spanWords = spanWords;
    this.spanAt = spanAt;
  }

  get traceId(): string {
    return (this.#traceId ??= wordsHex(this.traceWords, this.traceAt, 4));
  }

  get spanId(): string {
    return (this.#spanId ??= wordsHex(this.spanWords, this.spanAt, 2));
  }
}

function wordsHex(words: Uint32Array, at: number, count: number): string {
  let hex = '';
  for (let i = at; i < at + count; i++) hex += wordHex(words[i]!);
  return hex;
}
