/**
 * TypeScript engine benchmark: µs per placement decision in Node, on the very ruleset and visitors
 * of bench_engine.py (which it runs first, exporting them), printed beside the Python figure.
 *
 * Run: make edge && node benchmarks/bench_engine_ts.mjs   (or make bench)
 * PYTHON overrides the interpreter (default .venv/bin/python).
 */

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { compileSnapshot, decide } = await import(new URL("../edge/dist/engine.js", import.meta.url));

const TARGET_P50_US = 5;
const ROUNDS = 5;

function percentile(sorted, fraction) {
  return sorted[Math.floor(sorted.length * fraction)];
}

// 1. The Python engine on its own ruleset, which it also writes out for us.
const folder = mkdtempSync(join(tmpdir(), "tactful-bench-"));
const input = join(folder, "ruleset.json");
let pythonReport;
try {
  pythonReport = execFileSync(
    process.env.PYTHON ?? join(ROOT, ".venv/bin/python"),
    [join(ROOT, "benchmarks/bench_engine.py"), "--export", input],
    { encoding: "utf8" },
  );
} catch (error) {
  rmSync(folder, { recursive: true, force: true });
  throw error;
}
const data = JSON.parse(readFileSync(input, "utf8"));
rmSync(folder, { recursive: true, force: true });
const pythonLine = pythonReport.split("\n").find((line) => line.startsWith("µs per placement"));
const [, pythonP50, pythonP99] = /p50 ([\d.]+)\s+p99 ([\d.]+)/.exec(pythonLine ?? "") ?? [];

// 2. The TypeScript engine on the same input, measured the same way: each decision timed alone.
const snapshot = compileSnapshot(data.snapshot);
const placements = [...snapshot.placements.values()];
const visitors = data.visitors.map((v) => ({
  subjectId: v.subject_id,
  attributes: v.attributes,
  granted: new Set(v.granted),
}));
for (let round = 0; round < 20; round++) {
  for (const visitor of visitors) for (const placement of placements) decide(placement, visitor);
}
const samples = new Float64Array(ROUNDS * visitors.length * placements.length);
let count = 0;
const clock = process.hrtime.bigint;
for (let round = 0; round < ROUNDS; round++) {
  for (const visitor of visitors) {
    for (const placement of placements) {
      const start = clock();
      decide(placement, visitor);
      samples[count++] = Number(clock() - start);
    }
  }
}
samples.sort();
// The loop without per-decision clocks: the mean that the timer's own cost does not inflate.
const started = clock();
for (let round = 0; round < ROUNDS; round++) {
  for (const visitor of visitors) for (const placement of placements) decide(placement, visitor);
}
const batchedMean = Number(clock() - started) / count / 1000;
const p50 = percentile(samples, 0.5) / 1000;
const p99 = percentile(samples, 0.99) / 1000;
const mean = samples.reduce((sum, x) => sum + x, 0) / count / 1000;

const reasons = {};
for (const visitor of visitors) {
  for (const placement of placements) {
    const { reason } = decide(placement, visitor);
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  }
}

console.log(`TypeScript engine, Node ${process.versions.node}, bench_engine.py's ruleset and visitors`);
console.log(`placement decisions: ${count.toLocaleString("en")}`);
console.log(
  `µs per placement decision: p50 ${p50.toFixed(2)}  p99 ${p99.toFixed(2)}  mean ${mean.toFixed(2)}` +
    `  (mean without per-decision clocks ${batchedMean.toFixed(2)})`,
);
const reasonsLine = `reasons: ${Object.entries(reasons)
  .sort()
  .map(([reason, n]) => `${reason} ${n}`)
  .join(", ")}`;
console.log(reasonsLine);
// The same input must give the same decisions: the Python harness prints its own tally.
const pythonReasons = pythonReport.split("\n").find((line) => line.startsWith("reasons:"));
console.log(`same reasons as the Python engine: ${pythonReasons === reasonsLine ? "yes" : "NO"}`);
if (pythonP50 !== undefined) {
  const ratio = Number(pythonP50) / p50;
  console.log(
    `Python engine, same input, same run: p50 ${pythonP50}  p99 ${pythonP99}  ` +
      `(TypeScript p50 is ${ratio.toFixed(1)}x faster)`,
  );
}
console.log(`target p50 <= ${TARGET_P50_US} µs: ${p50 <= TARGET_P50_US ? "met" : "NOT met"}`);
