/** CJK ideographs, kana and hangul: scripts written without spaces between words. */
const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/u;

/**
 * Tokens of free text for TF-IDF: lower-cased words of letters / digits; runs of CJK
 * characters become overlapping character bigrams (a lone character stays a unigram), the usual
 * dictionary-free tokenisation for Chinese.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const run of text.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let word = '';
    let cjk: string[] = [];
    const flushCjk = () => {
      if (cjk.length === 1) out.push(cjk[0]!);
      for (let k = 0; k + 1 < cjk.length; k++) out.push(cjk[k]! + cjk[k + 1]!);
      cjk = [];
    };
    for (const ch of run) {
      if (CJK.test(ch)) {
        if (word) out.push(word);
        word = '';
        cjk.push(ch);
      } else {
        if (cjk.length) flushCjk();
        word += ch;
      }
    }
    if (word) out.push(word);
    if (cjk.length) flushCjk();
  }
  return out;
}
