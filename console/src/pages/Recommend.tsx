import { Tabs, Typography } from 'antd';
import { useI18n } from '../i18n';
import RecommendInspector from './RecommendInspector';
import RecommendModels from './RecommendModels';
import RecommendSettings from './RecommendSettings';

/** Recommendations: the inspector, the trained models' evaluation, placement settings. */
export default function RecommendPage() {
  const { t } = useI18n();
  return (
    <div data-testid="recommend-page">
      <Typography.Title level={3}>{t('rec.title')}</Typography.Title>
      <Tabs
        destroyOnHidden
        items={[
          { key: 'inspector', label: t('rec.tab.inspector'), children: <RecommendInspector /> },
          { key: 'models', label: t('rec.tab.models'), children: <RecommendModels /> },
          { key: 'settings', label: t('rec.tab.settings'), children: <RecommendSettings /> },
        ]}
      />
    </div>
  );
}
