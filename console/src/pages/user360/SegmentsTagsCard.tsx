import { Card, Empty, Space, Tag, Tooltip, Typography } from 'antd';
import { getProfileSegments, getProfileTags } from '../../apiSegments';
import { fmtInt, fmtTime } from '../../format';
import { useLoad } from '../../hooks';
import { useI18n } from '../../i18n';
import { linkProps } from '../../router';

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
      {tags.data && (
        <div style={{ marginTop: 12 }}>
          <Typography.Text type="secondary">{t('u360.tags')}: </Typography.Text>
          {tags.data.length === 0 ? (
            <Typography.Text type="secondary">—</Typography.Text>
          ) : (
            <Space size={[6, 6]} wrap data-testid="user-tags">
              {tags.data.map((x, i) => (
                <Tooltip key={`${x.tag}:${i}`} title={[x.source ?? x.by, x.at ? fmtTime(lang, String(x.at)) : null].filter(Boolean).join(' · ') || undefined}>
                  <Tag color="geekblue">{x.tag}</Tag>
                </Tooltip>
              ))}
            </Space>
          )}
        </div>
      )}
    </Card>
  );
}
