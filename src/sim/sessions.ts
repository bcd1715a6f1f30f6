/** Shopping sessions: landing, search, product views, cart, checkout, orders and their aftermath. */
import { lineItem, productProps, sampleProduct } from './catalog.ts';
import { COUPONS } from './data.ts';
import { DAY, HOUR, MINUTE, type Ident, type ShareRef, type State } from './state.ts';
import { groupBuy, share } from './social.ts';
import { sampleCategory } from './users.ts';

export interface SessionOpts {
  /** whose tastes drive choices (a visitor borrows the sharer's) */
  tasteOf: number;
  /** the known user behind the session, -1 for an anonymous visitor */
  user: number;
  loggedIn: boolean;
  /** landing already emitted (signup flow) */
  skipLanding?: boolean;
  /** arrived through this share */
  via?: ShareRef;
  campaign?: Record<string, unknown>;
}

interface CartLine {
  p: number;
  q: number;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

function taste(s: State, u: number, p: number): number {
  const us = s.w.users;
  return us.tastes[u * us.k + (s.w.catalog.category[p] ?? 0)] ?? 0;
}

/** The landing of a share click: `Share Link Opened` + a page carrying context.campaign.share_id. */
export function shareLanding(s: State, t: number, id: Ident, via: ShareRef): number {
  const cat = s.w.catalog;
  s.track(t, id, 'Share Link Opened', { share_id: via.id, product_id: cat.ids[via.product] });
  t = s.adv(t, 300 + s.rng.int(1500));
  s.view(t, id, '商品详情', '/product/' + cat.ids[via.product], { source: 'share', medium: 'wechat', name: 'product_share', share_id: via.id });
  return t;
}

/** One session; returns the time of its last event. */
export function session(s: State, t: number, id: Ident, o: SessionOpts): number {
  const { rng, w } = s;
  const cat = w.catalog;
  const u = o.user;
  const us = w.users;
  const kol = u >= 0 && us.isKol[u] === 1;
  let viewFirst = -1;
  if (!o.skipLanding) {
    if (o.via) {
      t = shareLanding(s, t, id, o.via);
      viewFirst = o.via.product;
    } else {
      s.view(t, id, '首页', '/', o.campaign);
    }
  } else if (o.via) viewFirst = o.via.product;

  if (o.loggedIn && u >= 0 && s.lastCheckin[u] !== s.day && rng.chance(0.2)) {
    s.streak[u] = s.lastCheckin[u] === s.day - 1 ? s.streak[u]! + 1 : 1;
    s.lastCheckin[u] = s.day;
    t = s.gap(t, 8);
    s.track(t, id, 'Checked In', { streak: s.streak[u], points: 5 * Math.min(7, s.streak[u]!) });
  }

  const cart: CartLine[] = [];
  let cartId = '';
  const addToCart = (p: number): void => {
    if (!cartId) cartId = s.cartId();
    const q = rng.chance(0.8) ? 1 : rng.range(2, 3);
    cart.push({ p, q });
    t = s.gap(t, 15);
    const props = lineItem(cat, p, q);
    props.cart_id = cartId;
    s.track(t, id, 'Product Added', props);
  };

  let nViews = rng.geometric(0.42) + (viewFirst >= 0 ? 0 : 1);
  let c = sampleCategory(us, rng, o.tasteOf);
  if (rng.chance(0.25)) {
    t = s.gap(t, 10);
    const r = rng.next();
    const p0 = sampleProduct(cat, rng, c);
    const query = r < 0.4 ? cat.categories[c] : r < 0.7 ? cat.brands[p0] : cat.nouns[p0];
    s.track(t, id, 'Products Searched', { query });
    nViews++;
  } else if (rng.chance(0.15)) {
    t = s.gap(t, 10);
    const products = [];
    for (let i = 0; i < 4; i++) {
      const p = sampleProduct(cat, rng, c);
      products.push({ product_id: cat.ids[p], name: cat.names[p], price: cat.price[p], position: i + 1 });
    }
    s.track(t, id, 'Product List Viewed', { list_id: 'cat-' + c, category: cat.categories[c], products });
  }

  for (let i = 0; i < nViews + (viewFirst >= 0 ? 1 : 0); i++) {
    let p: number;
    if (i === 0 && viewFirst >= 0) p = viewFirst;
    else {
      if (rng.chance(0.35)) c = sampleCategory(us, rng, o.tasteOf);
      p = sampleProduct(cat, rng, c);
    }
    t = s.gap(t, 25);
    s.track(t, id, 'Product Viewed', productProps(cat, p));
    const w = taste(s, o.tasteOf, p);
    const landing = i === 0 && viewFirst >= 0;
    if (rng.chance((landing ? 0.1 : 0.04) + (landing ? 0.5 : 0.45) * w)) addToCart(p);
    if (o.loggedIn && u >= 0) {
      const pShare = landing ? (kol ? 0.35 : 0.1) : kol ? 0.1 : 0.008;
      if (rng.chance(pShare)) {
        t = s.gap(t, 20);
        share(s, u, id, p, t, landing ? o.via : undefined);
      }
      if (rng.chance(0.004)) {
        t = s.gap(t, 20);
        groupBuy(s, u, id, p, t);
      }
    }
  }

  if (cart.length > 1 && rng.chance(0.08)) {
    const line = cart.pop()!;
    t = s.gap(t, 20);
    const props = lineItem(cat, line.p, line.q);
    props.cart_id = cartId;
    s.track(t, id, 'Product Removed', props);
  }
  if (cart.length === 0) return t;
  if (rng.chance(0.85)) {
    t = s.gap(t, 15);
    s.track(t, id, 'Cart Viewed', { cart_id: cartId, products: cart.map((l) => lineItem(cat, l.p, l.q)) });
  }
  if (!o.loggedIn || u < 0 || !rng.chance(0.58)) return t;
  return checkout(s, t, id, u, cart, o.via);
}

function checkout(s: State, t: number, id: Ident, u: number, cart: CartLine[], via: ShareRef | undefined): number {
  const { rng, w } = s;
  const cat = w.catalog;
  const orderId = s.orderId();
  let subtotal = 0;
  for (const l of cart) subtotal += (cat.price[l.p] ?? 0) * l.q;
  subtotal = round2(subtotal);
  t = s.gap(t, 20);
  s.track(t, id, 'Checkout Started', { order_id: orderId, value: subtotal, revenue: subtotal, currency: 'CNY', products: cart.map((l) => lineItem(cat, l.p, l.q)) });
  let discount = 0;
  let coupon: string | undefined;
  if (rng.chance(via ? 0.4 : 0.2)) {
    const eligible = COUPONS.filter((c) => c.min <= subtotal && (via || c.id !== 'SHARE-15'));
    if (eligible.length > 0) {
      const c = via && eligible.some((e) => e.id === 'SHARE-15') ? COUPONS.find((e) => e.id === 'SHARE-15')! : rng.pick(eligible);
      discount = round2(Math.min(subtotal - 0.01, c.off || c.pct * subtotal));
      coupon = c.id;
      t = s.gap(t, 10);
      s.track(t, id, 'Coupon Applied', { order_id: orderId, coupon_id: c.id, coupon_name: c.name, discount });
    }
  }
  if (!rng.chance(0.75)) return t;
  const shipping = subtotal >= 99 ? 0 : 8;
  const revenue = round2(subtotal - discount);
  const props: Record<string, unknown> = {
    order_id: orderId,
    total: round2(revenue + shipping),
    revenue,
    shipping,
    discount,
    currency: 'CNY',
    products: cart.map((l) => lineItem(cat, l.p, l.q)),
  };
  if (coupon) props.coupon = coupon;
  if (via) props.share_id = via.id;
  t = s.gap(t, 40);
  s.track(t, id, 'Order Completed', props);

  const r = rng.next();
  let refunded = false;
  if (r < 0.02) {
    s.schedule({ kind: 'msg', t: t + MINUTE * (5 + rng.int(55)), msg: s.deferredTrack(id, 'Order Cancelled', { order_id: orderId }) });
    return t;
  } else if (r < 0.07) {
    refunded = true;
    const partial = cart.length > 1 && rng.chance(0.4);
    const first = cart[0]!;
    const refundProps: Record<string, unknown> = { order_id: orderId };
    if (partial) refundProps.total = round2((cat.price[first.p] ?? 0) * first.q);
    s.schedule({ kind: 'msg', t: t + DAY * (1 + rng.int(7)) + rng.int(HOUR), msg: s.deferredTrack(id, 'Order Refunded', refundProps) });
  }
  if (rng.chance(refunded ? 0.5 : 0.15)) {
    const p = rng.pick(cart).p;
    s.schedule({ kind: 'review', t: t + DAY * (2 + rng.int(9)) + rng.int(6 * HOUR), user: u, product: p, orderId, refunded });
  }
  if (rng.chance(w.users.isKol[u] ? 0.3 : 0.05)) {
    t = s.gap(t, 30);
    share(s, u, id, cart[0]!.p, t, via);
  }
  return t;
}
