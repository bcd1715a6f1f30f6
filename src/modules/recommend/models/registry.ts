import { AlsRecommender, type AlsOptions } from './als.ts';
import { ContentRecommender, type ContentOptions } from './content.ts';
import { EaseRecommender, type EaseOptions } from './ease.ts';
import { HybridRecommender, HYBRID_DEFAULTS, type HybridOptions } from './hybrid.ts';
import { ItemKnnRecommender, type ItemKnnOptions } from './itemknn.ts';
import { PopularRecommender, type PopularOptions } from './popular.ts';
import { SessionRecommender, type SessionOptions } from './session.ts';
import { SocialRecommender, type SocialOptions } from './social.ts';
import type { Recommender } from './types.ts';

/** Every model `createModel` knows, in the order reports list them. */
export const MODEL_NAMES = ['popular', 'itemknn', 'ease', 'als', 'content', 'social', 'session', 'hybrid', 'hybrid-nosocial'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** Per-model settings overriding the defaults, e.g. `{ ease: { lambda: 500 } }`. */
export interface ModelParams {
  popular?: Partial<PopularOptions>;
  itemknn?: Partial<ItemKnnOptions>;
  ease?: Partial<EaseOptions>;
  als?: Partial<AlsOptions>;
  content?: Partial<ContentOptions>;
  social?: Partial<SocialOptions>;
  session?: Partial<SessionOptions>;
  hybrid?: Partial<HybridOptions>;
  'hybrid-nosocial'?: Partial<HybridOptions>;
}

export function isModelName(s: string): s is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(s);
}

/** A new, unfitted model by name. Throws on an unknown name. */
export function createModel(name: string, params: ModelParams = {}): Recommender {
  const make = (n: string) => createModel(n, params);
  switch (name) {
    case 'popular': return new PopularRecommender({ halfLifeDays: 0, ...params.popular });
    case 'itemknn': return new ItemKnnRecommender(params.itemknn);
    case 'ease': return new EaseRecommender(params.ease);
    case 'als': return new AlsRecommender(params.als);
    case 'content': return new ContentRecommender(params.content);
    case 'social': return new SocialRecommender(params.social);
    case 'session': return new SessionRecommender(params.session);
    case 'hybrid': return new HybridRecommender('hybrid', make, params.hybrid);
    case 'hybrid-nosocial': {
      const base = { ...HYBRID_DEFAULTS, ...params.hybrid, ...params['hybrid-nosocial'] };
      return new HybridRecommender('hybrid-nosocial', make, { ...base, components: base.components.filter((c) => c !== 'social') });
    }
    default: throw new Error(`unknown model ${JSON.stringify(name)}: use one of ${MODEL_NAMES.join(', ')}`);
  }
}
