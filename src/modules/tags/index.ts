/**
 * Tags on profiles: manual tags with who / when, and rule tags bound to a saved segment (its
 * members carry the tag, who = `segment:<id>`, when = the entry time). Storage only; combining
 * with segment membership and identity is src/flows/tags.ts. docs/segments.md ("Tags").
 */
export { TagName, type ProfileTag, type TagRule, type TagSource } from './schema.ts';
export { addTag, removeTag, manualTagsOf, manualTagCounts, profilesWithTag, putTagRule, deleteTagRule, listTagRules } from './store.ts';
