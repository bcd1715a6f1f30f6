/**
 * Auto-segments (clusters): k-means on standardised behavioural features of the computed traits,
 * k chosen by silhouette, each cluster described in words (zh-CN / en), models stored in the
 * operational store, and the SQL of "nearest centre" conditions. The math files are pure.
 * docs/segments.md ("Auto-segments") documents the method and the API; the flow that reads the
 * traits is src/flows/segments-auto.ts.
 */
export { FEATURES, FEATURE_NAMES, DEFAULT_FEATURES, featureDef, transform, scalingOf, zOf, type FeatureDef, type Scaling, type Transform } from './features.ts';
export { kmeans, kmeansPlusPlus, lloyd, nearest, sqDist, type KMeansResult, type KMeansOptions } from './kmeans.ts';
export { meanSilhouettes } from './silhouette.ts';
export { describeCluster, DESCRIBE_MIN_Z, DESCRIBE_MAX_TRAITS, type ClusterDescription, type ClusterTrait } from './describe.ts';
export { fitAutoSegments, fitAutoSegmentsAsync, assignCluster, NotEnoughData, FIT_DEFAULTS, type FitOptions, type FittedModel, type FittedCluster, type FeatureColumns } from './fit.ts';
export { fitAutoSegmentsOffThread, FIT_IN_THREAD_MAX } from './fit-thread.ts';
export { putModel, getModel, listModels, deleteModel, newModelId, type AutoSegmentModel } from './store.ts';
export { Rng } from '../../platform/rng.ts';
