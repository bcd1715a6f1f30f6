import { Input, InputNumber, Select, Space, Typography } from 'antd';
import { useI18n, type MessageKey } from '../../i18n';
import { useBuilder } from './builderContext';
import { SOCIAL_RELATIONS, pathString, type Path, type SocialRule } from './ruleModel';

/** A social condition: friend / follower / followed by / invited by a user or a segment's members, or near a KOL. */
export function SocialEditor({ rule, path }: { rule: SocialRule; path: Path }) {
  const { t } = useI18n();
  const { set, issues, segments, selfId } = useBuilder();
  const bad = issues.get(pathString(path))?.length ? ('error' as const) : undefined;
  const ofSegment = rule.of && 'segment' in rule.of;
  return (
    <Space wrap size={6} data-testid="cond-social">
      <Select
        size="small"
        style={{ width: 200 }}
        value={rule.social}
        onChange={(s: string) => set(path, s === 'near_kol' ? { social: s, hops: 1 } : { social: s, of: rule.of ?? { userId: '' } })}
        options={SOCIAL_RELATIONS.map((s) => ({ value: s, label: t(`seg.social.${s}` as MessageKey) }))}
      />
      {rule.social === 'near_kol' ? (
        <Space size={4}>
          <InputNumber size="small" min={1} max={3} value={rule.hops ?? 1} status={bad} onChange={(n) => set([...path, 'hops'], Number(n ?? 1))} style={{ width: 60 }} />
          <Typography.Text type="secondary">{t('seg.social.hops')}</Typography.Text>
        </Space>
      ) : (
        <>
          <Select
            size="small"
            style={{ width: 130 }}
            value={ofSegment ? 'segment' : 'user'}
            onChange={(m: string) => set([...path, 'of'], m === 'segment' ? { segment: '' } : { userId: '' })}
            options={[
              { value: 'user', label: t('seg.social.ofUser') },
              { value: 'segment', label: t('seg.social.ofSegment') },
            ]}
          />
          {ofSegment ? (
            <Select
              size="small"
              style={{ width: 220 }}
              status={bad}
              placeholder={t('seg.ref.pick')}
              value={(rule.of as { segment: string }).segment || undefined}
              onChange={(id: string) => set([...path, 'of'], { segment: id })}
              options={segments.filter((s) => s.id !== selfId).map((s) => ({ value: s.id, label: s.name }))}
            />
          ) : (
            <Input
              size="small"
              style={{ width: 180 }}
              status={bad}
              placeholder={t('seg.social.userPlaceholder')}
              value={(rule.of as { userId?: string } | undefined)?.userId ?? ''}
              onChange={(e) => set([...path, 'of'], { userId: e.target.value.trim() })}
            />
          )}
        </>
      )}
    </Space>
  );
}

/** Membership of another saved segment. */
export function SegmentRefEditor({ rule, path }: { rule: { segment: string }; path: Path }) {
  const { t } = useI18n();
  const { set, issues, segments, selfId } = useBuilder();
  return (
    <Select
      size="small"
      style={{ width: 260 }}
      data-testid="cond-segment"
      status={issues.get(pathString(path))?.length ? 'error' : undefined}
      placeholder={t('seg.ref.pick')}
      value={rule.segment || undefined}
      onChange={(id: string) => set(path, { segment: id })}
      options={segments.filter((s) => s.id !== selfId).map((s) => ({ value: s.id, label: `${s.name}${s.size != null ? ` (${s.size})` : ''}` }))}
    />
  );
}
