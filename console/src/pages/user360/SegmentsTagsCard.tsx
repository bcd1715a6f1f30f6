import { useState } from 'react';
import { App, Button, Card, Empty, Input, Space, Tag, Tooltip, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { addProfileTag, getProfileSegments, getProfileTags, removeProfileTag, type ProfileTag } from '../../apiSegments';
import { fmtInt, fmtTime } from '../../format';
import { useLoad } from '../../hooks';
import { useI18n } from '../../i18n';
import { linkProps } from '../../router';

/** The person's tags: manual ones can be removed and added; segment (rule) tags follow membership. */
function Tags({ profileId, tags, reload }: { profileId: string; tags: ProfileTag[]; reload: () => void }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState(false);
  const add = async () => {
    if (!draft.trim()) return;
    setBusy(true);
    try {
      await addProfileTag(profileId, draft.trim());
      setDraft('');
      reload();
    } catch (e) {
      message.error(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ marginTop: 12 }}>
      <Typography.Text type="secondary">{t('u360.tags')}: </Typography.Text>
      <Space size={[6, 6]} wrap data-testid="user-tags">
        {tags.length === 0 && <Typography.Text type="secondary">—</Typography.Text>}
        {tags.map((x) => (
          <Tooltip key={`${x.source}:${x.tag}`} title={t('u360.tagBy', { who: x.addedBy, time: fmtTime(lang, x.addedAt) })}>
            <Tag
              color={x.source === 'segment' ? 'purple' : 'geekblue'}
              closable={x.source === 'manual'}
              onClose={(e) => {
                e.preventDefault();
                removeProfileTag(profileId, x.tag).then(reload, (err: Error) => message.error(err.message));
              }}
            >
              {x.tag}
            </Tag>
          </Tooltip>
        ))}
        <Space.Compact size="small">
          <Input size="small" style={{ width: 140 }} maxLength={64} placeholder={t('u360.tagPlaceholder')} value={draft} onChange={(e) => setDraft(e.target.value)} onPressEnter={() => void add()} data-testid="tag-input" />
          <Button size="small" icon={<PlusOutlined />} loading={busy} onClick={() => void add()} data-testid="tag-add">
            {t('u360.addTag')}
          </Button>
        </Space.Compact>
      </Space>
    </div>
  );
}

/** The saved segments the person is in, and their tags (manual or from a segment, with who / when). */
export function SegmentsTagsCard({ profileId }: { profileId: string }) {
  const { t, lang } = useI18n();
  const segs = useLoad((signal) => getProfileSegments(profileId, signal).catch(() => null), [profileId]);
  const tags = useLoad((signal) => getProfileTags(profileId, signal).catch(() => null), [profileId]);
  const list = segs.data?.segments;
  return (
    <Card title={t('u360.segments')} data-testid="card-segments-tags">
      {list == null ? (
        <Typography.Text type="secondary">{segs.loading ? t('common.loading') : t('u360.segmentsPending')}</Typography.Text>
      ) : list.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('u360.noSegments')} />
      ) : (
        <Space size={[6, 6]} wrap data-testid="user-segments">
          {list.map((s) => (
            <Tooltip key={s.id} title={s.size != null ? `${fmtInt(lang, s.size)} · ${s.refreshedAt ? fmtTime(lang, s.refreshedAt) : ''}` : undefined}>
              <Tag color="volcano">
                <a {...linkProps(`/segments/${encodeURIComponent(s.id)}`)}>{s.name}</a>
              </Tag>
            </Tooltip>
          ))}
        </Space>
      )}
      {tags.data && <Tags profileId={profileId} tags={tags.data} reload={tags.reload} />}
    </Card>
  );
}
