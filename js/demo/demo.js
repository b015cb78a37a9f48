// The demo: label and score as you type, and each word coloured by what leaving it out does.
import { SentimentClassifier, tokenize } from "/js/src/index.js";

const $ = (id) => document.getElementById(id);
const BUNDLE = new URLSearchParams(location.search).get("model") ?? "/artifacts/default";
const logit = (p) => Math.log(Math.max(p, 1e-12) / Math.max(1 - p, 1e-12));

const started = performance.now();
const classifier = await SentimentClassifier.load(BUNDLE);
$("status").textContent = `model ${classifier.manifest.name} loaded in ${Math.round(performance.now() - started)} ms`;
$("review").disabled = false;
document.body.dataset.ready = "yes";

let pending = 0;
$("review").addEventListener("input", () => {
  const ticket = ++pending;
  setTimeout(() => { if (ticket === pending) show($("review").value); }, 30);
});

async function show(text) {
  const t0 = performance.now();
  const { label, score } = await classifier.predict(text);
  $("label").textContent = label;
  $("label").style.color = label === classifier.labels[1] ? "#2a7d2a" : "#b22222";
  $("score").textContent = `score ${score.toFixed(4)} (${(performance.now() - t0).toFixed(1)} ms)`;
  render(await wordEffects(text, score));
}

/** [token, logit change when the token is left out, negated] for each token the model reads. */
async function wordEffects(text, score) {
  const { preprocessing } = classifier.manifest;
  const kept = classifier.encode(text);
  const tokens = tokenize(text);
  if (preprocessing.drop_special || tokens.length === 0) return tokens.map((t) => [t, 0]);
  const offset = kept.length > tokens.length ? 1 : 0; // the start id is kept unless truncation cut it
  const words = tokens.slice(tokens.length - (kept.length - offset));
  const { subwords } = classifier.encoder; // (a bundle with subwords reads each word's n-grams too)
  const variants = words.map((_, i) => ({
    ids: kept.filter((_, j) => j !== offset + i),
    subwords: subwords && subwords.kept(words.filter((_, j) => j !== i)),
  }));
  const without = await classifier.scoreRows(variants);
  const base = logit(score);
  return words.map((word, i) => [word, base - logit(without[i])]);
}

function render(effects) {
  const largest = Math.max(1e-9, ...effects.map(([, v]) => Math.abs(v)));
  $("words").replaceChildren(...effects.map(([word, value]) => {
    const span = document.createElement("span");
    const strength = Math.min(Math.abs(value) / largest, 1);
    const [r, g, b] = value > 0 ? [44, 160, 44] : [214, 39, 40];
    span.style.background = `rgb(${255 + (r - 255) * strength}, ${255 + (g - 255) * strength}, ${255 + (b - 255) * strength})`;
    span.dataset.contribution = value.toFixed(4);
    span.title = `${value >= 0 ? "+" : ""}${value.toFixed(3)}`;
    span.textContent = word;
    return span;
  }));
}
