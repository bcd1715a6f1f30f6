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
// Serving: training from the stores' data, versioned snapshots, request-time business rules.
export { PLACEMENTS, INTERACTION_KINDS, EDGE_TYPES, SOURCE_NAMES, SERVING_COMPONENTS, sourceNames, sourceBit, type Placement, type InteractionKind, type EdgeType, type SourceName, type Lang, type Reason } from './serving/types.ts';
export { TrainingInputBuilder, inputCounts, GROUP_DIMENSIONS, type TrainingInput, type CatalogItem, type GroupDimension, type UserGroups } from './serving/input.ts';
export { groupPopularity, GROUP_POPULARITY_DEFAULTS, type GroupInfo, type GroupPopularity } from './serving/group-popular.ts';
export { DEFAULT_SETTINGS, RecommendSettingsSchema, PlacementSettingsSchema, SettingsPatchSchema, mergeSettings, completeSettings, type RecommendSettings, type PlacementSettings, type TrainingSettings, type SettingsPatch } from './serving/settings.ts';
export { trainSnapshot, NotEnoughData, SERVING_PARAMS, type TrainOptions, type TrainProgress } from './serving/train.ts';
export { saveSnapshot, loadSnapshot, currentVersion, listVersions, readMeta, readTops, newVersion, type Snapshot, type SnapshotMeta, type SnapshotArrays, type ModelReport } from './serving/snapshot.ts';
export { runTraining, trainInWorker, type WorkerJob, type TrainingResult } from './serving/worker-job.ts';
export { ServingModel } from './serving/model.ts';
export { CatalogView, compileRules, type LiveProduct, type CompiledRules } from './serving/catalog-view.ts';
export { rankWithRules, type Candidate, type RankSpec } from './serving/rules.ts';
export { serve, type ServeRequest, type ServeResult } from './serving/serve.ts';
export { reasonText, pickLang } from './serving/reasons.ts';
export { signToken, verifyToken, type TrackingClaims } from './serving/token.ts';
export { LiveActivity, type LiveSignals } from './serving/live.ts';
export { associationRules, type FbtRules } from './serving/fbt.ts';
export { rulesOf, suggestBundle, type RuleOf } from './serving/bundle.ts';
export * as recommendStore from './serving/store.ts';
export { SparseBlend } from './serving/blend.ts';
export { prepare, type Prepared } from './serving/prepare.ts';
export { answerBuffer, answerObject, type Answer } from './serving/answer.ts';
