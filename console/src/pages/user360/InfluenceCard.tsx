import { Alert, Card, Col, Row, Statistic, Tag } from 'antd';
import type { UserProfile } from '../../api';
import type { ComputedTraits } from '../../apiProfiles';
import { fmtInt, fmtMoney } from '../../format';
import { useI18n } from '../../i18n';
import { INFLUENCE_KEYS, TRAIT_DEFS } from '../../messages/traitDefs';
import { TraitLabel } from './traitValue';

/** What the profile view itself shows (live edges and the person's shares), used until the influence traits exist. */
function fromGraph(p: UserProfile): Record<string, number> {
  const n = (type: string, dir?: 'in' | 'out') => p.neighbours.filter((x) => x.type === type && (!dir || x.direction === dir)).length;
  return {
    followers: n('follow', 'in'),
    following: n('follow', 'out'),
    friends: n('friend'),
    invitesSent: n('invite', 'out'),
    shares: p.shares.length,
    shareClicks: p.shares.reduce((s, x) => s + x.clicks, 0),
  };
}

/**
 * Social influence: the influence traits (followers … centrality, KOL) when the traits carry them;
 * else the counts the profile view already has (edges and direct share results), marked as such.
 */
export function InfluenceCard({ traits, profile }: { traits: ComputedTraits | null; profile: UserProfile }) {
  const { t, lang } = useI18n();
  const present = INFLUENCE_KEYS.filter((k) => traits && k in traits);
  const computed = present.length > 0;
  const values: Record<string, unknown> = computed ? Object.fromEntries(present.map((k) => [k, traits![k]])) : fromGraph(profile);
  const kol = values.isKol === true;
  return (
    <Card title={t('u360.influence')} extra={kol ? <Tag color="magenta" data-testid="user-kol">{t('u360.kol')}</Tag> : null} data-testid="card-influence">
      {!computed && <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('u360.influencePending')} />}
      <Row gutter={[16, 16]}>
        {Object.entries(values)
          .filter(([k]) => k !== 'isKol')
          .map(([k, v]) => {
            const kind = TRAIT_DEFS[k]?.kind;
            const text = v == null ? '—' : kind === 'money' ? fmtMoney(lang, Number(v)) : kind === 'number' ? Number(v).toFixed(4) : fmtInt(lang, Number(v));
            return (
              <Col xs={12} md={8} xl={6} key={k}>
                <Statistic title={<TraitLabel k={k} lang={lang} />} value={text} data-testid={`influence-${k}`} />
              </Col>
            );
          })}
      </Row>
    </Card>
  );
}
