/**
 * Segments: the JSON rule language (docs/segments.md), its validation and limits, the SQL
 * compiler (DuckDB, parameterised), the reference evaluator, and the storage of saved segments
 * (definitions in the operational store; membership, changes and sizes in the event store).
 * Evaluation across stores (social ids from the operational store) and membership refresh are in
 * src/flows/segments-*.ts, which export `evaluateRule`, `previewRule`, `saveSegment`, … for other flows.
 */
export type { Rule, TraitRule, EventRule, SocialRule, NearKolRule, SegmentRefRule, AllRule, AnyRule, NotRule, PropertyFilter, TimeValue } from './types.ts';
export { TRAIT_OPS, PROPERTY_OPS, COUNT_OPS, SOCIAL_RELATIONS, LINE_PROPERTIES, ORDER_EVENT } from './types.ts';
export { TRAIT_FIELDS, OPS_BY_TYPE, traitField, type TraitField, type FieldType } from './fields.ts';
export { checkRule, ruleError, parseTime, MAX_CHILDREN, MAX_LIST, type RuleIssue } from './validate.ts';
export { expandRule, measureRule, nodeCost, MAX_DEPTH, MAX_NODES, MAX_COST, type SegmentLoader, type RuleSize } from './limits.ts';
export { compileRule, socialProfilesSql, timeValue, DAY_MS, type CompileContext, type CompiledRule } from './compile.ts';
export { referenceEvaluate, profileEdgesOf, usesProfileGraph, type RefWorld, type RefProfile, type RefEvent } from './reference.ts';
export {
  insertSegment, getSegment, listSegments, updateSegment, deleteSegment, markRefreshed, allSegments, referencedSegments, referencedClusterModels, newSegmentId,
  applyMembership, dropMembership, membersPage, changesPage, sizeHistory, isMember,
  type Segment, type RefreshCounts, type MemberRow, type ChangeRow, type SizePoint,
} from './store.ts';
export { membershipsOf, memberCounts } from './memberships.ts';
export { resolveClusters, hasCluster, clusterConditionSql, clusterHolds, CLUSTER_COST, type ClusterRule, type ClusterModelParams, type ClusterLoader } from './cluster.ts';
