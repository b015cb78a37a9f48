// Text -> tokens, exactly as edge_sentiment/text.py (docs/bundle-format.md, section 3).
//
// The character classes come from Python's Unicode 14.0 tables (unicode14.js), not from this
// engine's \w or \p{...}: those are ASCII-only or follow a newer Unicode. Code points that
// Unicode 14.0 had not assigned (and lone surrogates) are separators in Python whatever a
// newer Unicode makes of them, so they become U+0000 (a separator that normalisation, case
// and the <br /> rule all leave alone, and no symbol: U+FFFD would be a token of tokenizer v2)
// before anything else. For every assigned code point,
// this engine's NFKC and lowercasing equal Python's (normalisation and case are stable; the
// conformance cases check the boundaries), except where a capital sigma becomes final or not:
// that rule asks which characters are cased, which changed after 14.0 (U+0295 among them), so
// this file decides it from Python's tables before lowercasing.

import { ASSIGNED, CASED, CASE_IGNORABLE, SPACE, SYMBOL, WORD } from "./unicode14.js";

function classOf(ranges) {
  const hex = (code) => `\\u{${code.toString(16)}}`;
  let body = "";
  for (let i = 0; i < ranges.length; i += 2) {
    body += ranges[i] === ranges[i + 1] ? hex(ranges[i]) : `${hex(ranges[i])}-${hex(ranges[i + 1])}`;
  }
  return `[${body}]`;
}

const WORD_CHAR = classOf(WORD);
const SPACE_CHAR = classOf(SPACE);
const TOKEN = new RegExp(`${WORD_CHAR}+(?:'${WORD_CHAR}+)*`, "gu");
// Tokenizer v2: a word as above, or one symbol (general category So, Unicode 14.0).
const TOKEN_OR_SYMBOL = new RegExp(`${WORD_CHAR}+(?:'${WORD_CHAR}+)*|${classOf(SYMBOL)}`, "gu");
// Variation selectors 15 and 16 (a symbol's text or emoji presentation): tokenizer v2 removes them.
const PRESENTATION_SELECTORS = /[\ufe0e\ufe0f]/g;
// Python: re.compile(r"<\s*br\s*/?\s*>", re.IGNORECASE), \s being Python's Unicode whitespace.
const LINE_BREAK = new RegExp(`<${SPACE_CHAR}*[bB][rR]${SPACE_CHAR}*/?${SPACE_CHAR}*>`, "gu");
// Everything that is not an assigned Unicode 14.0 scalar value (lone surrogates included).
const NOT_ASSIGNED = new RegExp(`[^${classOf(ASSIGNED).slice(1, -1)}]`, "gu");
const APOSTROPHES = /[\u2019\u2018\u02bc]/g;

function inRanges(ranges, code) {
  let low = 0;
  let high = ranges.length / 2 - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (code < ranges[2 * mid]) high = mid - 1;
    else if (code > ranges[2 * mid + 1]) low = mid + 1;
    else return true;
  }
  return false;
}

/** Each capital sigma lowercased as Python 3.11 does (Unicode's Final_Sigma rule, 14.0 tables):
 * final when a cased character precedes it and none follows, case-ignorable ones skipped. */
function lowerSigmas(text) {
  if (!text.includes("\u03a3")) return text;
  const chars = Array.from(text);
  const codes = chars.map((c) => c.codePointAt(0));
  const ignorable = (code) => inRanges(CASE_IGNORABLE, code);
  const casedAt = (i, step) => {
    while (i >= 0 && i < codes.length && ignorable(codes[i])) i += step;
    return i >= 0 && i < codes.length && inRanges(CASED, codes[i]);
  };
  for (let i = 0; i < chars.length; i++) {
    if (codes[i] === 0x3a3) chars[i] = casedAt(i - 1, -1) && !casedAt(i + 1, 1) ? "\u03c2" : "\u03c3";
  }
  return chars.join("");
}

/**
 * The text the tokenizer reads: NFKC, `<br />` as a space, lowercase, one apostrophe (and with
 * `symbols`, tokenizer v2, no presentation selectors).
 */
export function normalize(text, symbols = false) {
  const composed = text.replace(NOT_ASSIGNED, "\u0000").normalize("NFKC").replace(LINE_BREAK, " ");
  const normal = lowerSigmas(composed).toLowerCase().replace(APOSTROPHES, "'");
  return symbols ? normal.replace(PRESENTATION_SELECTORS, "") : normal;
}

/** The text's tokens, in order: words, and with `symbols` (tokenizer "edge-sentiment-v2") each symbol too. */
export function tokenize(text, symbols = false) {
  return normalize(text, symbols).match(symbols ? TOKEN_OR_SYMBOL : TOKEN) ?? [];
}
