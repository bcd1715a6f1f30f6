import { useEffect, useMemo, useState } from 'react';
import { App, Button, Card, Col, Collapse, Form, Input, Row, Space, Typography } from 'antd';
import { ArrowLeftOutlined, SaveOutlined } from '@ant-design/icons';
import { ApiError } from '../../api';
import { createSegment, getSegment, listSegments, updateSegment, type Segment } from '../../apiSegments';
import { Loadable } from '../../components/Section';
import { useLoad } from '../../hooks';
import { useI18n } from '../../i18n';
import { navigate } from '../../router';
import { BuilderContext, type BuilderCtx } from './builderContext';
import { PreviewPanel } from './PreviewPanel';
import { GroupNode } from './RuleNode';
import { getAt, kindOf, placeIssues, removeAt, setAt, type Path, type Rule, type RuleIssue } from './ruleModel';
import { useLivePreview } from './useLivePreview';

const EMPTY: Rule = { all: [] };

/** `/segments/new?rule=<JSON>` starts from that rule (links from the RFM grid and lifecycle cards). */
function ruleFromQuery(): Rule {
  try {
    const raw = new URLSearchParams(window.location.search).get('rule');
    const r = raw ? (JSON.parse(raw) as Rule) : null;
    return r && typeof r === 'object' ? asRoot(r) : EMPTY;
  } catch {
    return EMPTY;
  }
}

/** The root is always a group; a saved rule that is a single condition is shown inside one. */
const asRoot = (r: Rule): Rule => (kindOf(r) === 'all' || kindOf(r) === 'any' ? r : { all: [r] });

/** The segment builder: a visual editor over the JSON rule, with the live count, and save. */
export default function SegmentBuilderPage({ segmentId }: { segmentId?: string }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [rule, setRule] = useState<Rule>(() => (segmentId ? EMPTY : ruleFromQuery()));
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [saving, setSaving] = useState(false);
  const [saveIssues, setSaveIssues] = useState<RuleIssue[]>([]);
  const [nameError, setNameError] = useState(false);
  const segs = useLoad((signal) => listSegments(signal).catch(() => [] as Segment[]), []);
  const existing = useLoad((signal) => (segmentId ? getSegment(segmentId, signal) : Promise.resolve(null)), [segmentId]);

  useEffect(() => {
    if (!existing.data) return;
    setRule(asRoot(existing.data.rule));
    setName(existing.data.name);
    setDescription(existing.data.description ?? '');
  }, [existing.data]);

  const preview = useLivePreview(rule);
  const shown = preview.status === 'invalid' || preview.status === 'incomplete' ? preview.issues : saveIssues;
  const issues = useMemo(() => placeIssues(rule, shown), [rule, shown]);

  const ctx: BuilderCtx = {
    rule,
    set: (path: Path, value: unknown) => {
      setSaveIssues([]);
      setRule((r) => setAt(r, path, value));
    },
    remove: (path: Path) => {
      setSaveIssues([]);
      setRule((r) => {
        const next = removeAt(r, path);
        // Removing the last child of a nested group removes the group.
        const parent = path.slice(0, -2);
        if (parent.length) {
          const g = getAt(next, parent) as Rule;
          const k = kindOf(g);
          if ((k === 'all' || k === 'any') && (g as Record<string, Rule[]>)[k]!.length === 0) return removeAt(next, parent[parent.length - 1] === 'not' ? parent.slice(0, -1) : parent);
        }
        return next;
      });
    },
    issues,
    segments: segs.data ?? [],
    selfId: segmentId,
  };

  const save = async () => {
    if (!name.trim()) {
      setNameError(true);
      message.error(t('seg.builder.needName'));
      return;
    }
    const k = kindOf(rule);
    if ((k === 'all' || k === 'any') && (rule as Record<string, Rule[]>)[k]!.length === 0) {
      message.error(t('seg.builder.needCondition'));
      return;
    }
    if (preview.status === 'invalid' || preview.status === 'incomplete') {
      message.error(t('seg.builder.fixIssues'));
      return;
    }
    setSaving(true);
    try {
      const body = { name: name.trim(), description: description.trim(), rule };
      const s = segmentId ? await updateSegment(segmentId, body) : await createSegment(body);
      message.success(t('seg.builder.saved'));
      navigate(`/segments/${encodeURIComponent(s.id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400 && Array.isArray(err.details)) {
        setSaveIssues((err.details as { path?: string; message?: string }[]).map((d) => ({ path: d.path ?? 'rule', message: d.message ?? err.message, code: err.code })));
      }
      message.error(err instanceof Error ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <div data-testid="page-segment-builder">
      <Space style={{ marginBottom: 16 }} align="center">
        <Button icon={<ArrowLeftOutlined />} onClick={() => navigate(segmentId ? `/segments/${encodeURIComponent(segmentId)}` : '/segments')}>
          {t('common.back')}
        </Button>
        <Typography.Title level={3} style={{ margin: 0 }}>
          {segmentId ? t('seg.builder.edit') : t('seg.builder.new')}
        </Typography.Title>
      </Space>
      <Loadable loading={existing.loading && !existing.data && Boolean(segmentId)} error={existing.error} onRetry={existing.reload}>
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={16}>
            <Card>
              <Form layout="vertical">
                <Form.Item label={t('seg.builder.name')} required validateStatus={nameError && !name.trim() ? 'error' : undefined} help={nameError && !name.trim() ? t('seg.builder.needName') : undefined}>
                  <Input value={name} maxLength={200} placeholder={t('seg.builder.namePlaceholder')} onChange={(e) => setName(e.target.value)} data-testid="segment-name" />
                </Form.Item>
                <Form.Item label={t('seg.builder.description')}>
                  <Input.TextArea value={description} maxLength={1000} autoSize={{ minRows: 1, maxRows: 3 }} onChange={(e) => setDescription(e.target.value)} data-testid="segment-description" />
                </Form.Item>
              </Form>
              <Typography.Title level={5}>{t('seg.builder.rules')}</Typography.Title>
              {preview.status === 'everyone' && <Typography.Paragraph type="secondary">{t('seg.builder.start')}</Typography.Paragraph>}
              <BuilderContext.Provider value={ctx}>
                <GroupNode rule={rule as { all: Rule[] }} path={[]} root />
              </BuilderContext.Provider>
              <Collapse
                ghost
                style={{ marginTop: 12 }}
                items={[{ key: 'json', label: t('seg.builder.json'), children: <pre className="timeline-props" data-testid="segment-json">{JSON.stringify(rule, null, 2)}</pre> }]}
              />
            </Card>
          </Col>
          <Col xs={24} xl={8}>
            <Space orientation="vertical" style={{ width: '100%' }} size={16}>
              <PreviewPanel state={preview} />
              <Button type="primary" size="large" block icon={<SaveOutlined />} loading={saving} onClick={save} data-testid="segment-save">
                {t('seg.builder.save')}
              </Button>
            </Space>
          </Col>
        </Row>
      </Loadable>
    </div>
  );
}
