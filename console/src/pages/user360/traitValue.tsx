import { Space, Tag, Tooltip, Typography } from 'antd';
import { QuestionCircleOutlined } from '@ant-design/icons';
import { fmtInt, fmtMoney, fmtTime, fmtValue } from '../../format';
import type { Lang, T } from '../../i18n';
import { TRAIT_DEFS } from '../../messages/traitDefs';
import { STAGE_COLORS, SEGMENT_COLORS, rfmSegmentLabel, stageLabel } from '../profiles/labels';

/** A computed trait's value as shown in User 360 (by the kind in TRAIT_DEFS; unknown keys as JSON). */
export function TraitValue({ k, v, t, lang }: { k: string; v: unknown; t: T; lang: Lang }) {
  if (v === null || v === undefined || v === '') return <Typography.Text type="secondary">—</Typography.Text>;
  if (k === 'lifecycleStage') return <Tag color={STAGE_COLORS[String(v)]}>{stageLabel(t, String(v))}</Tag>;
  if (k === 'rfmSegment') return <Tag color={SEGMENT_COLORS[String(v)]}>{rfmSegmentLabel(t, String(v))}</Tag>;
  const def = TRAIT_DEFS[k];
  switch (def?.kind) {
    case 'int':
      return <>{fmtInt(lang, Number(v))}</>;
    case 'money':
      return <>{fmtMoney(lang, Number(v))}</>;
    case 'ratio':
      return <>{(Number(v) * 100).toFixed(1)}%</>;
    case 'number':
      return <>{Number.isInteger(Number(v)) ? fmtInt(lang, Number(v)) : Number(v).toFixed(4).replace(/0+$/, '').replace(/\.$/, '')}</>;
    case 'time':
      return <>{fmtTime(lang, String(v))}</>;
    case 'bool':
      return v === true || v === 'true' ? <Tag color="magenta">{t('common.yes')}</Tag> : <>{t('common.no')}</>;
    case 'weights':
      if (Array.isArray(v)) {
        return (
          <Space size={[4, 4]} wrap>
            {(v as { name?: string; weight?: number }[]).map((x) => (
              <Tag key={String(x.name)}>
                {x.name} {typeof x.weight === 'number' ? `${Math.round(x.weight * 100)}%` : ''}
              </Tag>
            ))}
          </Space>
        );
      }
      return <>{fmtValue(v)}</>;
    default:
      return <>{fmtValue(v)}</>;
  }
}

/** A trait's name with its definition on hover (docs/profiles.md, in the UI language). */
export function TraitLabel({ k, lang }: { k: string; lang: Lang }) {
  const def = TRAIT_DEFS[k];
  if (!def) return <span data-testid={`trait-label-${k}`}>{k}</span>;
  return (
    <Tooltip title={<><b>{k}</b><br />{def.def[lang]}</>}>
      <span data-testid={`trait-label-${k}`} style={{ cursor: 'help' }}>
        {def.label[lang]} <QuestionCircleOutlined style={{ color: '#bfbfbf', fontSize: 12 }} />
      </span>
    </Tooltip>
  );
}
