import { useEffect, useState } from 'react';
import { App, Button, Card, Col, Form, Input, InputNumber, Row, Select, Slider, Space, Tabs, Typography } from 'antd';
import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Loadable } from '../components/Section';
import { errorText, useLoad } from '../hooks';
import { useI18n, type MessageKey } from '../i18n';
import { getSettings, putSettings, PLACEMENTS, type Boost, type Placement, type PlacementSettings } from './RecommendApi';

type BoostRow = { kind: 'productId' | 'category' | 'brand'; value: string; factor: number };
type FormValues = Omit<PlacementSettings, 'boosts'> & { boosts: BoostRow[] };

const toRows = (b: Boost[]): BoostRow[] => b.map((x) => (x.productId !== undefined ? { kind: 'productId', value: x.productId, factor: x.factor } : x.category !== undefined ? { kind: 'category', value: x.category, factor: x.factor } : { kind: 'brand', value: x.brand ?? '', factor: x.factor }));
const fromRows = (rows: BoostRow[]): Boost[] => rows.filter((r) => r.value).map((r) => ({ [r.kind]: r.value, factor: r.factor }));

/** Business rules per placement, and the training schedule. */
export default function RecommendSettings() {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { data, error, loading, reload } = useLoad((signal) => getSettings(signal), []);
  const [placement, setPlacement] = useState<Placement>('home');
  const [form] = Form.useForm<FormValues>();
  const [interval, setInterval] = useState<number | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (!data) return;
    const p = data.settings.placements[placement];
    form.setFieldsValue({ ...p, boosts: toRows(p.boosts) });
    setInterval(data.settings.training.intervalMinutes);
  }, [data, placement, form]);

  const save = async () => {
    const v = await form.validateFields();
    setSaving(true);
    try {
      const patch = { placements: { [placement]: { ...v, minPrice: v.minPrice ?? null, maxPrice: v.maxPrice ?? null, boosts: fromRows(v.boosts ?? []) } }, training: { intervalMinutes: interval ?? 0 } };
      await putSettings(patch);
      message.success(t('rec.set.saved'));
      reload();
    } catch (e) {
      message.error(errorText(e, t('common.networkError')));
    } finally {
      setSaving(false);
    }
  };

  const tags = (name: keyof PlacementSettings, label: MessageKey) => (
    <Form.Item name={name} label={t(label)}>
      <Select mode="tags" tokenSeparators={[',', ' ']} placeholder={t('rec.set.tagsPlaceholder')} open={false} />
    </Form.Item>
  );

  return (
    <Loadable loading={loading} error={error} onRetry={reload}>
      <Card size="small">
        <Tabs activeKey={placement} onChange={(k) => setPlacement(k as Placement)} items={PLACEMENTS.map((p) => ({ key: p, label: t(`rec.placement.${p}` as MessageKey) }))} />
        <Form<FormValues> form={form} layout="vertical" data-testid="rec-settings-form">
          <Row gutter={16}>
            <Col xs={24} md={8}>
              <Form.Item name="excludePurchasedDays" label={t('rec.set.excludePurchasedDays')} extra={t('rec.set.zeroOff')}>
                <InputNumber min={0} max={3650} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="maxPerCategory" label={t('rec.set.maxPerCategory')} extra={t('rec.set.zeroOff')}>
                <InputNumber min={0} max={100} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="maxPerBrand" label={t('rec.set.maxPerBrand')} extra={t('rec.set.zeroOff')}>
                <InputNumber min={0} max={100} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={24} md={8}>
              <Form.Item name="diversity" label={t('rec.set.diversity')}>
                <Slider min={0} max={1} step={0.05} />
              </Form.Item>
            </Col>
            <Col xs={12} md={8}>
              <Form.Item name="minPrice" label={t('rec.set.minPrice')}>
                <InputNumber min={0} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={12} md={8}>
              <Form.Item name="maxPrice" label={t('rec.set.maxPrice')}>
                <InputNumber min={0} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
            <Col xs={24} md={12}>{tags('pinned', 'rec.set.pinned')}</Col>
            <Col xs={24} md={12}>{tags('excludeProductIds', 'rec.set.excludeProductIds')}</Col>
            <Col xs={24} md={8}>{tags('includeCategories', 'rec.set.includeCategories')}</Col>
            <Col xs={24} md={8}>{tags('excludeCategories', 'rec.set.excludeCategories')}</Col>
            <Col xs={24} md={8}>{tags('excludeBrands', 'rec.set.excludeBrands')}</Col>
          </Row>
          <Typography.Text strong>{t('rec.set.boosts')}</Typography.Text>
          <Form.List name="boosts">
            {(fields, { add, remove }) => (
              <Space direction="vertical" style={{ width: '100%', marginTop: 8 }}>
                {fields.map((f) => (
                  <Space key={f.key} wrap>
                    <Form.Item name={[f.name, 'kind']} noStyle>
                      <Select style={{ width: 120 }} options={(['productId', 'category', 'brand'] as const).map((k) => ({ value: k, label: t(`rec.set.boost.${k}` as MessageKey) }))} />
                    </Form.Item>
                    <Form.Item name={[f.name, 'value']} noStyle rules={[{ required: true }]}>
                      <Input style={{ width: 220 }} />
                    </Form.Item>
                    <Form.Item name={[f.name, 'factor']} noStyle>
                      <InputNumber min={0} max={100} step={0.1} addonBefore="×" />
                    </Form.Item>
                    <Button icon={<DeleteOutlined />} onClick={() => remove(f.name)} />
                  </Space>
                ))}
                <Button icon={<PlusOutlined />} onClick={() => add({ kind: 'productId', value: '', factor: 2 })}>
                  {t('rec.set.addBoost')}
                </Button>
              </Space>
            )}
          </Form.List>
          <Row gutter={16} style={{ marginTop: 16 }}>
            <Col xs={24} md={8}>
              <Form.Item label={t('rec.set.trainingInterval')}>
                <InputNumber min={0} max={43200} value={interval} onChange={(v) => setInterval(v)} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          </Row>
          <Button type="primary" loading={saving} onClick={save} data-testid="rec-settings-save">
            {t('rec.set.save')}
          </Button>
        </Form>
      </Card>
    </Loadable>
  );
}
