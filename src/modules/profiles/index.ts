/**
 * Profiles: computed traits per person (purchase facts, interests, price band, RFM, lifecycle,
 * churn risk, social influence) in the event store, built from the event log and a mirror of the identity graph.
 * docs/profiles.md defines every trait. The orchestration (recompute, incremental passes) lives
 * in src/flows/traits-*.ts.
 */
export { warmTraitTables } from './warm.ts';
export { ProfileSettingsSchema, DEFAULT_PROFILE_SETTINGS, type ProfileSettings } from './settings.ts';
export { factsSql, purchaseDaysSql, SOCIAL_EVENTS, type FactsQuery, type Scope } from './facts.ts';
export { RFM_SEGMENTS, RFM_SEGMENT_MAP, rfmSegment, qcutBin, type RfmSegment } from './rfm.ts';
export { LIFECYCLE_STAGES, stageAt, stageHistory, dayNumber, isoDay, type LifecycleStage, type StageChange } from './lifecycle.ts';
export { CHURN_FEATURES, fitLogistic, predict, auc, type ChurnModel, type ChurnMetrics } from './churn.ts';
export {
  beginMirrorRefresh, applyMirrorRefresh, MIRROR_STAGE, appendMirrorRows, appendMirrorCsv, replaceMirrorRows, mirrorRowsOf, mirrorMoves, readStoredRows, aggregatesBefore, scopeOf, scopeFromRows, writeTraits, purchaseDays, historiesFromDays,
  getRun, getRunCached, listRuns, putRun, setMergesChecked, getTraitsCursor, setTraitsCursor, getChurnModel, putChurnModel,
  type MirrorRow, type TraitsRun, type StoredChurnModel, type WriteTraitsOptions,
} from './store.ts';
export {
  getTraits, allTraits, lifecycleHistoryOf, rfmGrid, lifecycleCounts, lifecycleDaily, topInfluencers,
  type TraitsRow, type RfmGrid, type StageChangeRow, type Influencer,
} from './read.ts';
export { buyerTraitColumns, traitsOfProfiles, traitColumnsPresent, NUMERIC_TRAIT_COLUMNS, EXPORT_TRAIT_COLUMNS, type TraitColumns } from './columns.ts';
export { rebuildSocialActions, refreshSocialActions, readPassRange, maySocialAction, MENTIONS_SHARE, type SocialActionRow, type PassEvent } from './social-actions.ts';
export { influenceChanges, applyCentrality, staleCounts, readCounts, applyCounts, type StaleCounts, type CountsRows } from './influence.ts';
export { staleCentrality, readGraphLinks, centralityOffThread, centralityRefreshedAt, type StaleCentrality, type CentralityRows, type GraphLinks } from './centrality.ts';
export { createTraitsIndexes, dropAllTraitsIndexes } from './indexes.ts';
export { pagerank, PAGERANK_DAMPING, PAGERANK_TOLERANCE, PAGERANK_MAX_ITERATIONS, type PageRankResult } from './pagerank.ts';
export { forgetRanks, flushScores, scoresPending, rescoreAll, rescoreScope, MAX_INCREMENTAL } from './rank-cache.ts';
