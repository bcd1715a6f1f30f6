/** Static vocabularies for the synthetic world (all names are fictional). */

export interface CategorySpec {
  name: string;
  /** median price in CNY */
  median: number;
  brands: readonly string[];
  nouns: readonly string[];
}

export const CATEGORIES: readonly CategorySpec[] = [
  { name: '美妆', median: 160, brands: ['花韵', '素颜记', '玉兰油坊', '朱砂', '若兰', '凝脂', '初雪', 'Lumière'], nouns: ['口红', '粉底液', '面膜', '精华液', '眼影盘', '卸妆水', '防晒霜', '面霜'] },
  { name: '服饰', median: 200, brands: ['布衣坊', '城南', '北纬', '素棉', 'UrbanLeaf', '青衫', '织梦', '风尚派'], nouns: ['连衣裙', '卫衣', '牛仔裤', '羽绒服', '衬衫', '针织衫', '运动外套', 'T恤'] },
  { name: '数码', median: 1200, brands: ['星耀', '极光', '锐科', 'NovaTech', '云米', '墨影', '赤兔', '方舟'], nouns: ['蓝牙耳机', '智能手表', '充电宝', '平板电脑', '机械键盘', '手机', '移动硬盘', '智能音箱'] },
  { name: '食品', median: 45, brands: ['良品集', '三只熊', '味觉岛', '稻香村坊', '山野', '甜心', '老字号', '好食光'], nouns: ['坚果礼盒', '牛肉干', '螺蛳粉', '饼干', '速食面', '茶叶', '咖啡豆', '巧克力'] },
  { name: '母婴', median: 180, brands: ['贝贝乐', '小鹿', '亲亲宝', '童趣', 'BabyBloom', '暖阳', '小橙', '安心妈妈'], nouns: ['纸尿裤', '奶粉', '婴儿推车', '湿巾', '奶瓶', '儿童玩具', '辅食', '婴儿服'] },
  { name: '家居', median: 120, brands: ['木语', '宜居', '暖巢', '简素', 'HomeNest', '栖', '森屋', '安眠'], nouns: ['四件套', '收纳盒', '香薰', '抱枕', '台灯', '毛巾', '地毯', '餐具套装'] },
  { name: '运动', median: 280, brands: ['疾风', '跃动', '山峰', 'StrideX', '飞燕', '铁人', '逐日', '蓝鲸'], nouns: ['跑鞋', '瑜伽垫', '哑铃', '运动水杯', '骑行服', '篮球', '健身手套', '登山包'] },
  { name: '图书', median: 42, brands: ['新知出版', '青灯书局', '墨香', '文渊', '启明', '书山', '光华', '远方'], nouns: ['小说', '历史读物', '编程指南', '绘本', '散文集', '经济学', '心理学', '漫画'] },
  { name: '个护', median: 60, brands: ['清泉', '柔丝', '净颜', 'PureDay', '薄荷', '丝语', '洁士', '舒肤佳园'], nouns: ['洗发水', '沐浴露', '牙膏', '电动牙刷', '护手霜', '剃须刀', '身体乳', '洗面奶'] },
  { name: '宠物', median: 95, brands: ['喵星人', '汪汪队', '萌宠家', 'PawPal', '毛孩子', '宠乐', '小爪', '乖乖'], nouns: ['猫粮', '狗粮', '猫砂', '宠物玩具', '牵引绳', '猫爬架', '宠物零食', '宠物窝'] },
  { name: '家电', median: 700, brands: ['美居', '海川', '格力源', 'CoolWave', '小熊屋', '九阳坊', '飞羽', '暖风'], nouns: ['空气炸锅', '电饭煲', '吸尘器', '电风扇', '加湿器', '微波炉', '破壁机', '电热水壶'] },
  { name: '生鲜', median: 68, brands: ['果园直供', '海鲜汇', '田园', 'FreshBay', '鲜丰', '农家', '牧场', '渔港'], nouns: ['车厘子', '草莓', '三文鱼', '牛排', '鸡蛋', '大闸蟹', '芒果', '蔬菜礼盒'] },
];

export const ADJECTIVES = ['经典', '新款', '限定', '轻奢', '臻选', '升级版', '礼盒装', '家庭装', '便携', '旗舰', '联名', '基础款'];

export const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '黄', '赵', '吴', '周', '徐', '孙', '马', '朱', '胡', '郭', '何', '林', '高', '罗', '郑', '梁', '谢', '宋', '唐', '许', '韩', '冯', '邓', '曹'];
export const GIVEN = ['伟', '芳', '娜', '敏', '静', '丽', '强', '磊', '军', '洋', '勇', '艳', '杰', '娟', '涛', '明', '超', '秀英', '霞', '平', '刚', '桂英', '晨', '悦', '欣怡', '子涵', '浩然', '雨萱', '梓轩', '思远', '佳琪', '一诺', '宇航', '诗涵', '俊杰', '婷'];

export const CITIES: readonly { name: string; weight: number }[] = [
  { name: '上海', weight: 10 }, { name: '北京', weight: 10 }, { name: '深圳', weight: 8 }, { name: '广州', weight: 8 },
  { name: '杭州', weight: 6 }, { name: '成都', weight: 6 }, { name: '重庆', weight: 5 }, { name: '武汉', weight: 5 },
  { name: '南京', weight: 4 }, { name: '西安', weight: 4 }, { name: '苏州', weight: 4 }, { name: '天津', weight: 3 },
  { name: '长沙', weight: 3 }, { name: '郑州', weight: 3 }, { name: '青岛', weight: 2 }, { name: '厦门', weight: 2 },
  { name: '合肥', weight: 2 }, { name: '昆明', weight: 2 }, { name: '沈阳', weight: 2 }, { name: '哈尔滨', weight: 1 },
  { name: '济南', weight: 2 }, { name: '福州', weight: 1 }, { name: '南宁', weight: 1 }, { name: '贵阳', weight: 1 },
];

export const COUPONS: readonly { id: string; name: string; min: number; off: number; pct: number }[] = [
  { id: 'MJ99-10', name: '满99减10', min: 99, off: 10, pct: 0 },
  { id: 'MJ199-30', name: '满199减30', min: 199, off: 30, pct: 0 },
  { id: 'NEW-20', name: '新人立减20', min: 0, off: 20, pct: 0 },
  { id: 'VIP-95', name: '会员95折', min: 0, off: 0, pct: 0.05 },
  { id: 'SHARE-15', name: '分享有礼减15', min: 59, off: 15, pct: 0 },
];

export const REVIEW_BODIES: readonly (readonly string[])[] = [
  ['质量太差了，不推荐', '和描述不符，已退货', '非常失望'],
  ['一般般，有点瑕疵', '物流太慢了', '不太满意'],
  ['还行，中规中矩', '价格合适，凑合用', '没有想象中好'],
  ['不错，性价比高', '包装很好，发货快', '挺满意的，会回购'],
  ['非常好！强烈推荐', '超出预期，五星好评', '朋友推荐的，果然不错', '已经回购好几次了'],
];

export const SHARE_VIA = ['wechat', 'wechat_moments', 'weibo', 'qq', 'link'] as const;
export const SHARE_MESSAGES = ['这个超值，快来看看', '姐妹们冲！', '我刚买了，推荐', '拼单更便宜', '好物分享', '限时优惠，手慢无'];
export const INVITE_CHANNELS = ['wechat', 'sms', 'qr_code', 'link'] as const;

/** Hour-of-day weights (0..23), evening-heavy. */
export const HOUR_WEIGHTS = [2, 1, 0.6, 0.4, 0.3, 0.4, 1, 2, 3.5, 4, 4, 4.5, 5.5, 5, 4.5, 4.5, 4.5, 5, 6, 7, 8.5, 9, 7.5, 4.5];

export const PLATFORMS = ['miniprogram', 'web', 'ios', 'android'] as const;
export type Platform = (typeof PLATFORMS)[number];
export const PLATFORM_WEIGHTS = [0.4, 0.25, 0.15, 0.2];
