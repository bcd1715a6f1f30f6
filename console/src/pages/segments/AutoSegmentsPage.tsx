import { useEffect, useMemo, useState } from 'react';
import { Alert, App, Button, Card, Col, Descriptions, Empty, InputNumber, Popconfirm, Row, Select, Space, Tag, Typography } from 'antd';
import { ArrowLeftOutlined, DeleteOutlined, ExperimentOutlined, SaveOutlined } from '@ant-design/icons';
import type { EChartsCoreOption } from 'echarts/core';
import { ApiError } from '../../api';
import { createSegment, deleteAutoModel, fitAutoSegments, getAutoModel, listAutoModels, type AutoCluster, type AutoModel } from '../../apiSegments';
import { Chart } from '../../components/Chart';
import { fmtInt, fmtTime } from '../../format';
import { useLoad } from '../../hooks';
import { useI18n, type Lang } from '../../i18n';
import { TRAIT_DEFS } from '../../messages/traitDefs';
import { navigate } from '../../router';

const describe = (c: AutoCluster, lang: Lang) => (lang === 'en' ? c.description.en : c.description.zh) || '—';

function silhouetteOption(m: AutoModel): EChartsCoreOption {
  return {
    tooltip: { trigger: 'axis' },
    grid: { left: 48, right: 16, top: 16, bottom: 32 },
    xAxis: { type: 'category', data: m.silhouettes.map((s) => `k=${s.k}`) },
    yAxis: { type: 'value', min: 0 },
    series: [
      {
        type: 'bar',
        barMaxWidth: 28,
        data: m.silhouettes.map((s) => ({ value: Math.round(s.silhouette * 1000) / 1000, itemStyle: { color: s.k === m.chosenK ? '#fa541c' : '#ffbb96' } })),
        label: { show: true, position: 'top', fontSize: 11 },
      },
    ],
  };
}

/** Auto-segments: k-means over behavioural features, silhouette per k, clusters in words, save one as a segment. */
export default function AutoSegmentsPage() {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [k, setK] = useState<number | null>(null);
  const [model, setModel] = useState<AutoModel | null>(null);
  const [running, setRunning] = useState(false);
  const [unavailable, setUnavailable] = useState(false);
  const models = useLoad(
    (signal) =>
      listAutoModels(signal).then(
        (r) => r.models,
        (e: unknown) => {
          if (e instanceof ApiError && e.status === 404) setUnavailable(true);
          return [];
        },
      ),
    [],
  );
  // The newest model is shown when the page opens (and after one is deleted), unless another one
  // was chosen meanwhile; not while the list reloads (it may still name a deleted model).
  const newest = models.loading ? undefined : models.data?.[0]?.id;
  useEffect(() => {
    if (model || !newest) return;
    const ctl = new AbortController();
    getAutoModel(newest, ctl.signal).then(
      (m) => {
        if (!ctl.signal.aborted) setModel((cur) => cur ?? m);
      },
      () => undefined,
    );
    return () => ctl.abort();
  }, [model, newest]);
  const sil = useMemo(() => (model ? silhouetteOption(model) : null), [model]);

  const run = async () => {
    setRunning(true);
    try {
      setModel(await fitAutoSegments(k ? { k } : {}));
      models.reload();
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setRunning(false);
    }
  };
  const open = async (id: string) => setModel(await getAutoModel(id));
  const remove = async (id: string) => {
    try {
      await deleteAutoModel(id);
      message.success(t('seg.auto.deleted'));
      setModel((cur) => (cur?.id === id ? null : cur));
      models.reload();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409 && Array.isArray(e.details)) {
        const names = (e.details as Array<{ segment?: { name: string } }>).flatMap((d) => (d.segment ? [`“${d.segment.name}”`] : []));
        message.error(t('seg.auto.inUse', { names: names.join(lang === 'en' ? ', ' : '、') }));
      } else message.error(e instanceof Error ? e.message : String(e));
    }
  };
  const save = async (c: AutoCluster) => {
    if (!model) return;
    const name = `${t('seg.auto.cluster', { n: c.index + 1 })} · ${describe(c, lang)}`.slice(0, 200);
    try {
      const s = await createSegment({ name, description: `${model.id} #${c.index}`, rule: { cluster: { model: model.id, index: c.index } } as never });
      message.success(t('seg.auto.savedAs', { name }));
      navigate(`/segments/${encodeURIComponent(s.id)}`);
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <div data-testid="page-auto-segments">
      <Space style={{ marginBottom: 16 }} align="center">
        <Button icon={<ArrowLeftOutlined />} onClick={() => navigate('/segments')}>
          {t('common.back')}
        </Button>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {t('seg.auto.title')}
        </Typography.Title>
      </Space>
      {unavailable && <Alert type="info" showIcon title={t('seg.auto.unavailable')} style={{ marginBottom: 16 }} />}
      <Card style={{ marginBottom: 16 }}>
        <Space wrap>
          <Typography.Text>{t('seg.auto.k')}</Typography.Text>
          <InputNumber min={2} max={20} value={k} placeholder={t('seg.auto.kAuto')} onChange={(v) => setK(v ?? null)} style={{ width: 180 }} />
          <Button type="primary" icon={<ExperimentOutlined />} loading={running} onClick={run} disabled={unavailable} data-testid="auto-run">
            {t('seg.auto.run')}
          </Button>
          {(models.data?.length ?? 0) > 0 && (
            <Select
              style={{ width: 320 }}
              placeholder={t('seg.auto.models')}
              value={model?.id}
              onChange={(id: string) => void open(id)}
              options={models.data!.map((m) => ({ value: m.id, label: `${m.createdAt ? fmtTime(lang, m.createdAt) : m.id} · k=${m.chosenK ?? '?'}` }))}
            />
          )}
          {model && (
            <Popconfirm title={t('seg.auto.deleteConfirm')} onConfirm={() => remove(model.id)} okButtonProps={{ danger: true, 'data-testid': 'auto-delete-ok' } as never}>
              <Button danger icon={<DeleteOutlined />} data-testid="auto-delete">
                {t('seg.auto.delete')}
              </Button>
            </Popconfirm>
          )}
        </Space>
      </Card>
      {!model ? (
        <Empty description={t('seg.auto.none')} />
      ) : (
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={8}>
            <Card title={t('seg.auto.silhouette')} extra={<Tag color="volcano">{t('seg.auto.chosen', { k: model.chosenK })}</Tag>}>
              {sil && <Chart option={sil} height={260} testId="chart-silhouette" />}
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {model.profiles ? `${fmtInt(lang, model.profiles)} · ` : ''}
                {model.features.map((f) => TRAIT_DEFS[f.name]?.label[lang] ?? f.name).join(' · ')}
              </Typography.Text>
            </Card>
          </Col>
          <Col xs={24} xl={16}>
            <Row gutter={[16, 16]}>
              {model.clusters.map((c) => (
                <Col xs={24} md={12} key={c.index}>
                  <Card
                    size="small"
                    data-testid="auto-cluster"
                    title={t('seg.auto.cluster', { n: c.index + 1 })}
                    extra={
                      <Button size="small" icon={<SaveOutlined />} onClick={() => void save(c)}>
                        {t('seg.auto.save')}
                      </Button>
                    }
                  >
                    <Typography.Paragraph strong style={{ marginBottom: 4 }}>
                      {describe(c, lang)}
                    </Typography.Paragraph>
                    <Typography.Text type="secondary">{t('seg.auto.size', { size: fmtInt(lang, c.size), pct: `${(c.share * 100).toFixed(1)}%` })}</Typography.Text>
                    <Descriptions
                      size="small"
                      column={1}
                      style={{ marginTop: 8 }}
                      title={<Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('seg.auto.centroid')}</Typography.Text>}
                      items={Object.entries(c.centroid).map(([f, v]) => ({
                        key: f,
                        label: TRAIT_DEFS[f]?.label[lang] ?? f,
                        children: v == null ? '—' : Math.abs(v) >= 100 ? fmtInt(lang, v) : v.toFixed(2),
                      }))}
                    />
                  </Card>
                </Col>
              ))}
            </Row>
          </Col>
        </Row>
      )}
    </div>
  );
}
