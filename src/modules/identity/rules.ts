import { z } from 'zod';
import { IDENTITY_KINDS } from './extract.ts';

/**
 * Merge rules, per workspace (settings.identity). `mergeOn`: identifier kinds that join two
 * profiles when one event carries both. `unique`: kinds a person has at most one of; a merge that
 * would give a profile two different values of a unique kind is refused: the profiles stay apart.
 */
export const MergeRulesSchema = z.object({
  mergeOn: z.array(z.enum(IDENTITY_KINDS)).default(['user_id', 'anonymous_id', 'email', 'phone', 'wechat_openid', 'wechat_unionid']),
  unique: z.array(z.enum(IDENTITY_KINDS)).default(['user_id']),
});
export type MergeRules = z.infer<typeof MergeRulesSchema>;
export const DEFAULT_RULES: MergeRules = MergeRulesSchema.parse({});
