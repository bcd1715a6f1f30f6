#!/usr/bin/env python3
"""Independent reference for three segment counts on CDNOW_master.txt (as of 1998-06-30).

Python standard library only; no Liebian code (the RFM scores reuse the independent reference in
test/profiles/reference/cdnow_rfm.py). Each purchase line is one order of the customer.

  champions_over_200   RFM segment Champions (RFM over all history, as cdnow_rfm.py) and total
                       spend (all purchases up to 1998-06-30) over $200
  three_over_20_since  at least 3 purchases of more than $20 from 1997-04-01 to 1998-06-30
  lapsed_repeat        at least 2 purchases in all, and none from 1997-10-01 on

Usage: python3 cdnow_segments.py [path/to/CDNOW_master.txt] [out_dir]
Writes cdnow_segments.csv: segment, customers, sha256 of the sorted customer ids ("id\\n" each).
"""
import datetime
import decimal
import hashlib
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'profiles', 'reference'))
import cdnow_rfm  # noqa: E402  (the independent RFM reference)

AS_OF = datetime.date(1998, 6, 30)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else cdnow_rfm.DEFAULT_DATA
    out_dir = sys.argv[2] if len(sys.argv) > 2 else HERE
    purchases = {}
    with open(path) as f:
        next(f)
        for line in f:
            parts = line.split()
            if not parts:
                continue
            cid, day, _cds, dollars = parts
            d = datetime.date(int(day[:4]), int(day[4:6]), int(day[6:]))
            if d <= AS_OF:
                purchases.setdefault(cid, []).append((d, decimal.Decimal(dollars)))
    customers = sorted(purchases)
    recency = [(AS_OF - max(d for d, _ in purchases[c])).days for c in customers]
    frequency = [len(purchases[c]) for c in customers]
    monetary = [sum((v for _, v in purchases[c]), decimal.Decimal(0)) for c in customers]
    R = cdnow_rfm.qcut(cdnow_rfm.rank_first(recency), [5, 4, 3, 2, 1])
    F = cdnow_rfm.qcut(cdnow_rfm.rank_first(frequency), [1, 2, 3, 4, 5])
    seg = {c: cdnow_rfm.segment(f'{r}{f}') for c, r, f in zip(customers, R, F)}
    spend = dict(zip(customers, monetary))

    q2 = datetime.date(1997, 4, 1)
    lapse = datetime.date(1997, 10, 1)
    rules = {
        'champions_over_200': [c for c in customers if seg[c] == 'Champions' and spend[c] > 200],
        'three_over_20_since': [c for c in customers if sum(1 for d, v in purchases[c] if d >= q2 and v > 20) >= 3],
        'lapsed_repeat': [c for c in customers if len(purchases[c]) >= 2 and all(d < lapse for d, _ in purchases[c])],
    }
    with open(os.path.join(out_dir, 'cdnow_segments.csv'), 'w') as f:
        f.write('segment,customers,sha256\n')
        for name, ids in rules.items():
            f.write(f"{name},{len(ids)},{hashlib.sha256(''.join(i + chr(10) for i in sorted(ids)).encode()).hexdigest()}\n")


if __name__ == '__main__':
    main()
