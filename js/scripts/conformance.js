// node scripts/conformance.js BUNDLE...: every conformance case of each bundle through this
// runtime under Node; one summary line per check, exit 1 if any case fails.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { SentimentClassifier } from "../src/index.js";
import { parseCases, runCases } from "../test/conformance.js";

let failed = false;
for (const bundle of process.argv.slice(2)) {
  const classifier = await SentimentClassifier.load(bundle);
  const cases = parseCases(readFileSync(join(bundle, "conformance.jsonl"), "utf8"));
  for (const r of await runCases(classifier, cases)) {
    console.log(`${bundle} (${classifier.task}, ${classifier.labels.length} labels): ${r.check.padEnd(20)} ${r.cases} cases, `
      + `${r.failures} failures, max |score diff| ${r.maxAbsDiff.toExponential(1)}`);
    if (r.failures) {
      failed = true;
      console.log(`  first failure: ${JSON.stringify(r.firstFailure)}`);
    }
  }
}
process.exit(failed ? 1 : 0);
