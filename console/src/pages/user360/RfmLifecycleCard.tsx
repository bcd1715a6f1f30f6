import { Card, Descriptions, Empty, Progress, Space, Tag, Timeline, Tooltip, Typography } from 'antd';
import type { UserTraits } from '../../apiProfiles';
import { useI18n } from '../../i18n';
import { STAGE_COLORS, SEGMENT_COLORS, rfmSegmentLabel, stageLabel } from '../profiles/labels';
import { TraitLabel } from './traitValue';

/** A 5 × 5 R × F grid with the person's cell marked. */
function RfmMiniGrid({ r, f }: { r: number; f: number }) {
  const cells = [];
  for (let rr = 5; rr >= 1; rr--) {
    for (let ff = 1; ff <= 5; ff++) {
      const on = rr === r && ff === f;
      cells.push(
        <div key={`${rr}${ff}`} className={on ? 'rfm-mini-cell rfm-mini-on' : 'rfm-mini-cell'} title={`R${rr} F${ff}`}>
          {on ? '●' : ''}
        </div>,
      );
    }
  }
  return (
    <div className="rfm-mini" data-testid="rfm-mini-grid">
      {cells}
    </div>
  );
}

/** RFM cell and segment, lifecycle stage with its history, churn probability with the model's AUC. */
export function RfmLifecycleCard({ data }: { data: UserTraits }) {
  const { t, lang } = useI18n();
  const tr = data.traits;
  const r = Number(tr?.rScore ?? 0);
  const f = Number(tr?.fScore ?? 0);
  const m = Number(tr?.mScore ?? 0);
  const churn = tr?.churnProbability;
  const model = data.churnModel;
  return (
    <Card title={`${t('u360.rfmCell')} · ${t('u360.group.lifecycle')}`} data-testid="card-rfm-lifecycle">
      <Typography.Title level={5}>
        <TraitLabel k="rfmCell" lang={lang} />
      </Typography.Title>
      {r && f ? (
        <Space align="start" size={16} data-testid="user-rfm">
          <RfmMiniGrid r={r} f={f} />
          <Descriptions size="small" column={1}>
            <Descriptions.Item label="R / F / M">
              <Typography.Text strong data-testid="user-rfm-cell">{String(tr?.rfmCell ?? `${r}${f}${m}`)}</Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={<TraitLabel k="rfmSegment" lang={lang} />}>
              <Tag color={SEGMENT_COLORS[String(tr?.rfmSegment)]}>{rfmSegmentLabel(t, String(tr?.rfmSegment ?? ''))}</Tag>
            </Descriptions.Item>
          </Descriptions>
        </Space>
      ) : (
        <Typography.Text type="secondary">{t('u360.noRfm')}</Typography.Text>
      )}

      <Typography.Title level={5} style={{ marginTop: 16 }}>
        <TraitLabel k="churnProbability" lang={lang} />
      </Typography.Title>
      {typeof churn === 'number' ? (
        <Progress percent={Math.round(churn * 1000) / 10} strokeColor={churn > 0.7 ? '#f5222d' : churn > 0.4 ? '#faad14' : '#52c41a'} data-testid="user-churn" />
      ) : (
        <Typography.Text type="secondary">—</Typography.Text>
      )}
      <div>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {model?.auc != null
            ? t('u360.churnModel', { auc: model.auc.toFixed(3), base: model.baselineAuc?.toFixed(3) ?? '—', n: model.holdoutRows, h: model.horizonDays })
            : `${t('u360.noModel')}${model?.note ? `: ${model.note}` : ''}`}
        </Typography.Text>
      </div>

      <Typography.Title level={5} style={{ marginTop: 16 }}>
        {t('u360.lifecycleHistory')}{' '}
        {tr?.lifecycleStage ? <Tag color={STAGE_COLORS[String(tr.lifecycleStage)]}>{stageLabel(t, String(tr.lifecycleStage))}</Tag> : null}
      </Typography.Title>
      {data.lifecycleHistory.length ? (
        <Timeline
          data-testid="user-lifecycle-history"
          items={[...data.lifecycleHistory].reverse().map((h) => ({
            key: h.day,
            color: STAGE_COLORS[h.stage] ?? 'gray',
            content: (
              <Space size={6} wrap>
                <Typography.Text type="secondary">{h.day}</Typography.Text>
                <Tooltip title={h.prevStage}>
                  <span>{stageLabel(t, h.prevStage)}</span>
                </Tooltip>
                →<Tag color={STAGE_COLORS[h.stage]}>{stageLabel(t, h.stage)}</Tag>
              </Space>
            ),
          }))}
        />
      ) : (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('u360.noHistory')} />
      )}
    </Card>
  );
}
