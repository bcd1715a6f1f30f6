/**
 * Recommend: recommendation models over implicit feedback, the datasets and splits they are
 * evaluated on, and the offline evaluation (`liebian evaluate`). Everything works on sparse
 * users × items matrices (CSR over typed arrays) with dense indices.
 */
export { type Csr, csrFromTriples, transpose } from './sparse.ts';
export { loadDataset, detectDataset, writeGenericDataset, DATASET_KINDS, type Dataset, type DatasetKind } from './datasets/index.ts';
export { splitDataset, carveValidation, DEFAULT_SPLIT, type Split, type SplitKind, type SplitOptions, type SideInfo } from './split.ts';
export type { Recommender, TrainData, FitContext, FitInfo } from './models/types.ts';
export { createModel, isModelName, MODEL_NAMES, type ModelName, type ModelParams } from './models/registry.ts';
export { PopularRecommender } from './models/popular.ts';
export { ItemKnnRecommender } from './models/itemknn.ts';
export { EaseRecommender } from './models/ease.ts';
export { AlsRecommender } from './models/als.ts';
export { ContentRecommender } from './models/content.ts';
export { SocialRecommender } from './models/social.ts';
export { SessionRecommender } from './models/session.ts';
export { HybridRecommender } from './models/hybrid.ts';
export { tokenize } from './models/tokenize.ts';
export { topK } from './topk.ts';
export { userMetrics, catalogCoverage, novelty, intraListDiversity } from './eval/metrics.ts';
export { evaluateSplit, type EvaluateOptions, type EvaluationResult, type ModelResult } from './eval/evaluate.ts';
export { runEvaluation, type RunEvaluationOptions } from './eval/run.ts';
export { toJsonReport, toMarkdownReport, type ReportMeta } from './eval/report.ts';
export { invertSpdInPlace } from './dense/inverse.ts';
export { createTiled, addSym, getSym, type TiledSym } from './dense/tiled.ts';
