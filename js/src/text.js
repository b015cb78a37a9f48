// Text -> tokens, exactly as edge_sentiment/text.py (docs/bundle-format.md, section 3).
//
// The character classes come from Python's Unicode 14.0 tables (unicode14.js), not from this
// engine's \w or \p{...}: those are ASCII-only or follow a newer Unicode. Code points that
// Unicode 14.0 had not assigned (and lone surrogates) are separators in Python whatever a
// newer Unicode makes of them, so they become U+FFFD (a separator that normalisation, case
// and the <br /> rule all leave alone) before anything else. For every assigned code point,
// this engine's NFKC and lowercasing equal Python's (normalisation and case are stable; the
// conformance cases check the boundaries).

import { ASSIGNED, SPACE, WORD } from "./unicode14.js";

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
// Python: re.compile(r"<\s*br\s*/?\s*>", re.IGNORECASE), \s being Python's Unicode whitespace.
const LINE_BREAK = new RegExp(`<${SPACE_CHAR}*[bB][rR]${SPACE_CHAR}*/?${SPACE_CHAR}*>`, "gu");
// Everything that is not an assigned Unicode 14.0 scalar value (lone surrogates included).
const NOT_ASSIGNED = new RegExp(`[^${classOf(ASSIGNED).slice(1, -1)}]`, "gu");
const APOSTROPHES = /[\u2019\u2018\u02bc]/g;

/** The text the tokenizer reads: NFKC, `<br />` as a space, lowercase, one apostrophe. */
export function normalize(text) {
  return text
    .replace(NOT_ASSIGNED, "\ufffd")
    .normalize("NFKC")
    .replace(LINE_BREAK, " ")
    .toLowerCase()
    .replace(APOSTROPHES, "'");
}

/** The text's tokens, in order. */
export function tokenize(text) {
  return normalize(text).match(TOKEN) ?? [];
}
