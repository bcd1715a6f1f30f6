#!/usr/bin/env python3
"""Independent reference for RFM scores and named segments on CDNOW_master.txt.

Python standard library only; no Liebian code. It follows the common pandas recipe:

    rfm['R'] = pd.qcut(rfm['recency'].rank(method='first'), 5, labels=[5, 4, 3, 2, 1])
    rfm['F'] = pd.qcut(rfm['frequency'].rank(method='first'), 5, labels=[1, 2, 3, 4, 5])
    rfm['M'] = pd.qcut(rfm['monetary'].rank(method='first'), 5, labels=[1, 2, 3, 4, 5])
    rfm['segment'] = (rfm['R'].astype(str) + rfm['F'].astype(str)).replace(seg_map, regex=True)

with the rows in customer_id order (as after a groupby), qcut's bin edges computed the way
numpy computes quantiles (linear interpolation) and bins closed on the right, the first one
including its lower edge. Recency = days from the customer's last purchase day to the as-of day
1998-06-30 (the last day of the data); frequency = purchases (lines); monetary = dollars spent.

Usage: python3 cdnow_rfm.py [path/to/CDNOW_master.txt] [out_dir]
Writes cdnow_rfm_segments.csv (segment, customers, monetary), cdnow_rfm_scores.csv (score
counts per dimension) and cdnow_rfm_checksum.txt (sha256 of the sorted lines
"customer_id,R,F,M,segment\\n", and the number of customers).
"""
import bisect
import datetime
import decimal
import hashlib
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, '..', '..', '..', '..', 'shared', 'datasets', 'cdnow', 'CDNOW_master.txt')
AS_OF = datetime.date(1998, 6, 30)

SEG_MAP = [  # the regex map of the common RFM tutorials, with display names
    (r'[1-2][1-2]', 'Hibernating'),
    (r'[1-2][3-4]', 'At Risk'),
    (r'[1-2]5', "Can't Lose Them"),
    (r'3[1-2]', 'About to Sleep'),
    (r'33', 'Need Attention'),
    (r'[3-4][4-5]', 'Loyal Customers'),
    (r'41', 'Promising'),
    (r'51', 'New Customers'),
    (r'[4-5][2-3]', 'Potential Loyalists'),
    (r'5[4-5]', 'Champions'),
]
SEGMENTS = ['Champions', 'Loyal Customers', 'Potential Loyalists', 'New Customers', 'Promising',
            'Need Attention', 'About to Sleep', 'At Risk', "Can't Lose Them", 'Hibernating']


def rank_first(values):
    """pandas Series.rank(method='first'): 1..n by value, ties in order of appearance."""
    order = sorted(range(len(values)), key=lambda i: (values[i], i))
    ranks = [0] * len(values)
    for r, i in enumerate(order, start=1):
        ranks[i] = float(r)
    return ranks


def quantile_linear(sorted_vals, q):
    """numpy.quantile(..., method='linear') on sorted values."""
    h = (len(sorted_vals) - 1) * q
    lo = int(h // 1)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (h - lo)


def qcut(values, labels):
    """pandas.qcut(values, len(labels), labels=labels): quantile edges, (a, b] bins, first bin closed."""
    q = len(labels)
    s = sorted(values)
    edges = [quantile_linear(s, k / q) for k in range(q + 1)]
    out = []
    for v in values:
        k = bisect.bisect_left(edges, v)  # first edge >= v: v lies in (edges[k-1], edges[k]]
        out.append(labels[max(k, 1) - 1])
    return out


def segment(code):
    for pattern, name in SEG_MAP:
        code = re.sub(pattern, name, code)
    return code


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DATA
    out_dir = sys.argv[2] if len(sys.argv) > 2 else HERE
    last, freq, money = {}, {}, {}
    with open(path) as f:
        next(f)  # header: customer_id date number_of_cds dollar_value
        for line in f:
            parts = line.split()
            if not parts:
                continue
            cid, day, _cds, dollars = parts
            d = datetime.date(int(day[:4]), int(day[4:6]), int(day[6:]))
            last[cid] = max(last.get(cid, d), d)
            freq[cid] = freq.get(cid, 0) + 1
            money[cid] = money.get(cid, decimal.Decimal(0)) + decimal.Decimal(dollars)
    customers = sorted(last)  # groupby order
    recency = [(AS_OF - last[c]).days for c in customers]
    frequency = [freq[c] for c in customers]
    monetary = [money[c] for c in customers]
    R = qcut(rank_first(recency), [5, 4, 3, 2, 1])
    F = qcut(rank_first(frequency), [1, 2, 3, 4, 5])
    M = qcut(rank_first(monetary), [1, 2, 3, 4, 5])
    seg = [segment(f'{r}{f}') for r, f in zip(R, F)]

    lines = ''.join(f'{c},{r},{f},{m},{s}\n' for c, r, f, m, s in zip(customers, R, F, M, seg))
    with open(os.path.join(out_dir, 'cdnow_rfm_checksum.txt'), 'w') as f:
        f.write(f'customers={len(customers)}\nsha256={hashlib.sha256(lines.encode()).hexdigest()}\n')
    with open(os.path.join(out_dir, 'cdnow_rfm_segments.csv'), 'w') as f:
        f.write('segment,customers,monetary\n')
        for name in SEGMENTS:
            idx = [i for i, s in enumerate(seg) if s == name]
            f.write(f'{name},{len(idx)},{sum((monetary[i] for i in idx), decimal.Decimal(0))}\n')
    with open(os.path.join(out_dir, 'cdnow_rfm_scores.csv'), 'w') as f:
        f.write('score,R,F,M\n')
        for k in range(1, 6):
            f.write(f'{k},{R.count(k)},{F.count(k)},{M.count(k)}\n')


if __name__ == '__main__':
    main()
