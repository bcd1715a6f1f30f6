import type { Lang, Reason } from './types.ts';

/**
 * A reason as text in the caller's language. `name(i)` gives an item's display name (the
 * product id when it has none); names are quoted 「」 in Chinese.
 */
export function reasonText(r: Reason, lang: Lang, name: (item: number) => string): string {
  const zh = lang === 'zh-CN';
  switch (r.code) {
    case 'friends_bought':
      return zh ? `${r.count} 位好友购买过` : r.count === 1 ? 'because a friend bought it' : `because ${r.count} friends bought it`;
    case 'friends_shared':
      return zh ? `${r.count} 位好友分享过` : r.count === 1 ? 'because a friend shared it' : `because ${r.count} friends shared it`;
    case 'because_viewed':
      return zh ? `与你看过的「${name(r.anchor)}」相似` : `similar to ${name(r.anchor)}, which you looked at`;
    case 'session':
      return zh ? `根据你刚浏览的「${name(r.anchor)}」` : `based on ${name(r.anchor)}, which you just viewed`;
    case 'also_viewed':
      return zh ? '看过此商品的人也看了' : 'people who viewed this also viewed it';
    case 'similar':
      return zh ? '与此商品相似' : 'similar to this product';
    case 'bought_together':
      return zh ? `常与「${name(r.anchor)}」一起购买` : `frequently bought together with ${name(r.anchor)}`;
    case 'new_item':
      return zh ? '新品，与你喜欢的商品相似' : 'new, and similar to what you like';
    case 'for_you':
      return zh ? '为你推荐' : 'picked for you';
    case 'popular':
      return zh ? '热门商品' : 'popular right now';
    case 'popular_category':
      return zh ? `「${r.text}」热销` : `best seller in ${r.text}`;
    case 'popular_city':
      return zh ? `${r.text}热门` : `popular in ${r.text}`;
    case 'popular_segment':
      return zh ? '与你相似的顾客常买' : 'popular with shoppers like you';
    case 'pinned':
      return zh ? '精选推荐' : 'featured';
  }
}

/** `lang` if given, else the first supported language of an Accept-Language header, else zh-CN. */
export function pickLang(lang: string | undefined, acceptLanguage: string | undefined): Lang {
  if (lang === 'en' || lang === 'zh-CN') return lang;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const tag = part.split(';')[0]!.trim().toLowerCase();
    if (tag.startsWith('zh')) return 'zh-CN';
    if (tag.startsWith('en')) return 'en';
  }
  return 'zh-CN';
}
