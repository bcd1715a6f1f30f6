import type { CatalogView } from './catalog-view.ts';
import type { ServingModel } from './model.ts';
import { reasonText } from './reasons.ts';
import { R, type Candidate } from './rules.ts';
import { sourceNames, type Lang } from './types.ts';

/** One served answer, as the API returns it. */
export interface Answer {
  items: Array<{ productId: string; score: number; sources: readonly string[]; reason: string }>;
  model: { version: string | null };
  personalized: boolean;
  trackingToken: string;
}

const round = (v: number) => (Number.isFinite(v) ? Math.round(v * 10_000) / 10_000 : 0);

/** round(v) as JSON text from integers (a double's toString is the slow part of formatting). */
function scoreText(v: number): string {
  if (!Number.isFinite(v)) return '0';
  const n = Math.round(Math.abs(v) * 10_000);
  const int = Math.floor(n / 10_000), frac = n - int * 10_000;
  const sign = v < 0 && n > 0 ? '-' : '';
  if (frac === 0) return `${sign}${int}`;
  let f = frac < 10 ? `000${frac}` : frac < 100 ? `00${frac}` : frac < 1000 ? `0${frac}` : String(frac);
  while (f.endsWith('0')) f = f.slice(0, -1);
  return `${sign}${int}.${f}`;
}

/** The answer as an object (the inspector, tests). */
export function answerObject(model: ServingModel, view: CatalogView, items: Candidate[], lang: Lang, personalised: boolean, token: string): Answer {
  const name = (i: number) => view.names[i] || model.snapshot.itemIds[i]!;
  return {
    items: items.map((c) => ({ productId: model.snapshot.itemIds[c.item]!, score: round(c.score), sources: sourceNames(c.sources), reason: reasonText(c.reason, lang, name) })),
    model: { version: model.version },
    personalized: personalised,
    trackingToken: token,
  };
}

const B = (s: string) => Buffer.from(s, 'utf8');
const P = {
  open: B('{"items":['), item: B('{"productId":'), score: B(',"score":'), sources: B(',"sources":'), reason: B(',"reason":'), close: B('}'), comma: B(','),
  model: B('],"model":{"version":'), personalized: B('},"personalized":'), yes: B('true'), no: B('false'), token: B(',"trackingToken":"'), end: B('"}'),
};
const sourcesBuf = new Map<number, Buffer>();

/**
 * The answer as UTF-8 JSON bytes, assembled from pieces encoded once: product ids per model,
 * reasons per catalog view and language (by reason code and argument), sources per mask. The
 * hot path: no JSON.stringify, no large two-byte string to transcode (tested equal to
 * answerObject).
 */
export function answerBuffer(model: ServingModel, view: CatalogView, items: Candidate[], lang: Lang, personalised: boolean, token: string): Buffer {
  const w = writer;
  w.reset();
  w.put(P.open);
  for (let k = 0; k < items.length; k++) {
    const c = items[k]!;
    let src = sourcesBuf.get(c.sources);
    if (src === undefined) sourcesBuf.set(c.sources, (src = B(JSON.stringify(sourceNames(c.sources)))));
    const reason = c.code !== undefined && c.code !== R.External ? view.reasonJson(lang, c.code, c.arg ?? 0, c.reason) : B(JSON.stringify(reasonText(c.reason, lang, view.nameOf)));
    if (k) w.put(P.comma);
    w.put(P.item);
    w.put(model.idBuf(c.item));
    w.put(P.score);
    w.ascii(scoreText(c.score));
    w.put(P.sources);
    w.put(src);
    w.put(P.reason);
    w.put(reason);
    w.put(P.close);
  }
  w.put(P.model);
  w.put(model.versionBuf);
  w.put(P.personalized);
  w.put(personalised ? P.yes : P.no);
  w.put(P.token);
  w.ascii(token);
  w.put(P.end);
  return w.take();
}

/** Bytes appended into one reused scratch buffer; `take` copies them out. */
class Writer {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private n = 0;
  reset() {
    this.n = 0;
  }
  private room(k: number) {
    if (this.n + k <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.n + k));
    this.buf.copy(b, 0, 0, this.n);
    this.buf = b;
  }
  put(b: Buffer) {
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  /** A string of ASCII characters (scores, the base64url token). */
  ascii(s: string) {
    this.room(s.length);
    this.n += this.buf.write(s, this.n, 'latin1');
  }
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.n));
  }
}
const writer = new Writer();
