import { createContext, useContext } from 'react';
import type { Segment } from '../../apiSegments';
import type { Path, Rule, RuleIssue } from './ruleModel';

/** What every part of the builder needs: the rule, edits by path, placed issues, saved segments. */
export interface BuilderCtx {
  rule: Rule;
  set: (path: Path, value: unknown) => void;
  remove: (path: Path) => void;
  /** Issues by node path string (`rule.all[0]`), see placeIssues. */
  issues: Map<string, RuleIssue[]>;
  segments: Segment[];
  /** The segment being edited (not offered as a reference to itself). */
  selfId?: string;
}

export const BuilderContext = createContext<BuilderCtx | null>(null);

export function useBuilder(): BuilderCtx {
  const v = useContext(BuilderContext);
  if (!v) throw new Error('useBuilder outside the segment builder');
  return v;
}
