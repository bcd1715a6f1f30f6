import type { MessageKey, T } from '../../i18n';

/** Lifecycle stages in the order of docs/profiles.md, with a colour each (charts, tags). */
export const STAGES = ['prospect', 'new', 'active', 'returning', 'resurrected', 'at_risk', 'dormant', 'churned'] as const;
export const STAGE_COLORS: Record<string, string> = {
  prospect: '#bfbfbf',
  new: '#69b1ff',
  active: '#52c41a',
  returning: '#13c2c2',
  resurrected: '#722ed1',
  at_risk: '#faad14',
  dormant: '#fa8c16',
  churned: '#f5222d',
};

export const RFM_SEGMENTS = ['Champions', 'Loyal Customers', 'Potential Loyalists', 'New Customers', 'Promising', 'Need Attention', 'About to Sleep', 'At Risk', "Can't Lose Them", 'Hibernating'] as const;
export const SEGMENT_COLORS: Record<string, string> = {
  Champions: '#389e0d',
  'Loyal Customers': '#52c41a',
  'Potential Loyalists': '#95de64',
  'New Customers': '#1677ff',
  Promising: '#69b1ff',
  'Need Attention': '#faad14',
  'About to Sleep': '#ffc53d',
  'At Risk': '#fa8c16',
  "Can't Lose Them": '#f5222d',
  Hibernating: '#8c8c8c',
};

const has = (t: T, key: string) => t(key as MessageKey) !== key;

/** A stage's name in the UI language (unknown stages as they are). */
export const stageLabel = (t: T, stage: string | null | undefined) => (stage && has(t, `stage.${stage}`) ? t(`stage.${stage}` as MessageKey) : stage ?? '—');

/** A named RFM segment in the UI language. */
export const rfmSegmentLabel = (t: T, seg: string | null | undefined) => (seg && has(t, `rfmseg.${seg}`) ? t(`rfmseg.${seg}` as MessageKey) : seg ?? '—');
