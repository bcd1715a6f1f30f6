/** Identity: the graph of identifiers per person, merges with their causes, un-merge, traits. */
export { IDENTITY_KINDS, extractIdentifiers, normalizeEmail, normalizePhone, type IdentityKind, type Identifier, type IdentityEvent } from './extract.ts';
export { MergeRulesSchema, DEFAULT_RULES, type MergeRules } from './rules.ts';
export { resolveEvents } from './resolve.ts';
export { mergeProfiles, unmerge, canonicalOf } from './merge.ts';
export { getProfile, searchProfiles, profileKeys, profileByIdentity, type ProfileView } from './read.ts';
