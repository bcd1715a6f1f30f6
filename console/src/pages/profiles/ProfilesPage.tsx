import { Space, Typography } from 'antd';
import { getRfm } from '../../apiProfiles';
import { Loadable } from '../../components/Section';
import { useLoad } from '../../hooks';
import { useI18n } from '../../i18n';
import { InfluencersCard } from './InfluencersCard';
import { LifecycleCard } from './LifecycleCard';
import { RfmCard } from './RfmCard';

/** Profile analytics: the RFM grid with its named segments, the lifecycle flow chart, the top influencers. */
export default function ProfilesPage() {
  const { t } = useI18n();
  const rfm = useLoad((signal) => getRfm(signal), []);
  return (
    <div data-testid="page-profiles">
      <Typography.Title level={3}>{t('profiles.title')}</Typography.Title>
      <Space orientation="vertical" size={16} style={{ width: '100%' }}>
        <Loadable loading={rfm.loading && !rfm.data} error={rfm.error} onRetry={rfm.reload}>
          {rfm.data && <RfmCard grid={rfm.data} />}
        </Loadable>
        <LifecycleCard />
        <InfluencersCard />
      </Space>
    </div>
  );
}
