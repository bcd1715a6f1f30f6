import { featureDef } from './features.ts';

/**
 * Words for a cluster from the z-scores of its mean (standardised features) against the
 * population (mean 0, sd 1): the features with |z| ≥ 0.5, strongest first, at most three,
 * each as its "high" or "low" phrase; joined with " · " (zh-CN) and ", " (en).
 */

export const DESCRIBE_MIN_Z = 0.5;
export const DESCRIBE_MAX_TRAITS = 3;

export interface ClusterTrait {
  feature: string;
  z: number;
  level: 'high' | 'low';
  zh: string;
  en: string;
}

export interface ClusterDescription {
  zh: string;
  en: string;
  traits: ClusterTrait[];
}

export function describeCluster(features: readonly string[], zMeans: ArrayLike<number>): ClusterDescription {
  const ranked = features
    .map((feature, i) => ({ feature, z: zMeans[i]! }))
    .filter((x) => Math.abs(x.z) >= DESCRIBE_MIN_Z)
    .sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.feature.localeCompare(b.feature))
    .slice(0, DESCRIBE_MAX_TRAITS);
  const traits = ranked.map(({ feature, z }) => {
    const level = z > 0 ? 'high' as const : 'low' as const;
    const words = featureDef(feature)[level];
    return { feature, z: Math.round(z * 1000) / 1000, level, zh: words.zh, en: words.en };
  });
  if (!traits.length) return { zh: '接近整体平均', en: 'close to the average customer', traits };
  return { zh: traits.map((t) => t.zh).join(' · '), en: traits.map((t) => t.en).join(', '), traits };
}
