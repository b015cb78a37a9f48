// `npm pack` / `npm publish` run this first: the shipped default bundle (../artifacts/default)
// goes into the package's model/ folder, the files the JavaScript runtime reads and nothing
// else, so `SentimentClassifier.load()` works with no argument in an installed package.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkManifest } from "../src/manifest.js";

const js = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(js, "..", "artifacts", "default");
const target = join(js, "model");
const manifest = checkManifest(JSON.parse(readFileSync(join(source, "manifest.json"), "utf8")));  // any format, in format 3's words
const read = ["onnx", "vocab", "conformance", manifest.model.single_text?.file].filter(Boolean);

rmSync(target, { recursive: true, force: true });
mkdirSync(target);
for (const name of ["manifest.json", ...read.map((key) => manifest.files[key].path)]) {
  copyFileSync(join(source, name), join(target, name));
}
console.log(`packed ${manifest.name} (${read.length + 1} files) into model/`);
