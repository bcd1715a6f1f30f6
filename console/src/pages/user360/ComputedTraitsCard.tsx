import { Card, Descriptions, Empty, Typography } from 'antd';
import type { ComputedTraits } from '../../apiProfiles';
import { useI18n, type MessageKey } from '../../i18n';
import { TRAIT_DEFS, TRAIT_GROUPS, type TraitGroup } from '../../messages/traitDefs';
import { TraitLabel, TraitValue } from './traitValue';

/** Shown elsewhere on the page (ids) or in their own cards (influence, churn, lifecycle). */
const SKIP = new Set(['profileId', 'asOf', 'userId', 'anonymousId']);
const OWN_CARD: TraitGroup[] = ['influence'];

/** Every computed trait of the person, grouped, each with its definition on hover. */
export function ComputedTraitsCard({ traits, asOf }: { traits: ComputedTraits | null; asOf: string | null }) {
  const { t, lang } = useI18n();
  if (!traits) {
    return (
      <Card title={t('u360.computed')} data-testid="card-computed-traits">
        <Empty description={t('u360.noTraits')} />
      </Card>
    );
  }
  const keys = Object.keys(traits).filter((k) => !SKIP.has(k));
  const groups = [...TRAIT_GROUPS.filter((g) => !OWN_CARD.includes(g)), 'other' as const].map((g) => ({
    g,
    keys: g === 'other' ? keys.filter((k) => !TRAIT_DEFS[k]) : Object.keys(TRAIT_DEFS).filter((k) => TRAIT_DEFS[k]!.group === g && k in traits),
  }));
  return (
    <Card
      title={t('u360.computed')}
      extra={asOf ? <Typography.Text type="secondary">{t('u360.asOf', { day: asOf })}</Typography.Text> : null}
      data-testid="card-computed-traits"
    >
      {groups
        .filter((x) => x.keys.length > 0)
        .map(({ g, keys: ks }) => (
          <Descriptions
            key={g}
            size="small"
            bordered
            column={{ xs: 1, md: 2 }}
            title={<Typography.Text type="secondary">{t(`u360.group.${g}` as MessageKey)}</Typography.Text>}
            style={{ marginBottom: 12 }}
            items={ks.map((k) => ({
              key: k,
              label: <TraitLabel k={k} lang={lang} />,
              children: (
                <span data-testid={`trait-${k}`}>
                  <TraitValue k={k} v={traits[k]} t={t} lang={lang} />
                </span>
              ),
            }))}
          />
        ))}
    </Card>
  );
}
