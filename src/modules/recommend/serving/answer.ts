import type { CatalogView } from './catalog-view.ts';
import type { ServingModel } from './model.ts';
import { reasonText } from './reasons.ts';
import type { Candidate } from './rules.ts';
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
  let f = String(frac).padStart(4, '0');
  while (f.endsWith('0')) f = f.slice(0, -1);
  return `${sign}${int}.${f}`;
}
const sourcesJson = new Map<number, string>();

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

/**
 * The same answer as JSON text, assembled from pieces escaped once (product ids per model,
 * sources per mask): the hot path's serialisation, about 4× cheaper than JSON.stringify on the
 * object (tested equal to it).
 */
export function answerJson(model: ServingModel, view: CatalogView, items: Candidate[], lang: Lang, personalised: boolean, token: string): string {
  const name = (i: number) => view.names[i] || model.snapshot.itemIds[i]!;
  let out = '{"items":[';
  for (let k = 0; k < items.length; k++) {
    const c = items[k]!;
    let src = sourcesJson.get(c.sources);
    if (src === undefined) sourcesJson.set(c.sources, (src = JSON.stringify(sourceNames(c.sources))));
    out += `${k ? ',' : ''}{"productId":${model.idJson(c.item)},"score":${scoreText(c.score)},"sources":${src},"reason":${JSON.stringify(reasonText(c.reason, lang, name))}}`;
  }
  return `${out}],"model":{"version":${JSON.stringify(model.version)}},"personalized":${personalised},"trackingToken":${JSON.stringify(token)}}`;
}
