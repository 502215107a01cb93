// The layers of DESIGN.md: every import under src/ points down (or stays in its folder), and no
// folder's files import each other in a circle. Read from the source text, so a new upward import
// or circle fails here before it confuses a reader.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

const SRC = join(import.meta.dirname, "../../src");
/** Top to bottom; a folder may import itself and any folder after it. */
const LAYERS = ["cli", "experiments", "report", "runs", "trainers", "recipes", "reasoning", "models", "tasks", "optim", "nn", "engine", "common"];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Relative imports of a file (static, dynamic and type-only), as paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]);
  return specs.map((s) => relative(SRC, normalize(join(dirname(file), s))).replace(/\.js$/, ".ts"));
}

const layerOf = (path: string) => path.split("/")[0];
const all = files(SRC).map((f) => relative(SRC, f));

test("every folder under src/ is a known layer", () => {
  const folders = new Set(all.filter((f) => f.includes("/")).map(layerOf));
  assert.deepEqual([...folders].filter((f) => !LAYERS.includes(f)), []);
});

test("imports point down the layers", () => {
  const up: string[] = [];
  for (const f of all) {
    for (const target of importsOf(join(SRC, f))) {
      if (LAYERS.indexOf(layerOf(target)) < LAYERS.indexOf(layerOf(f))) up.push(`${f} → ${target}`);
    }
  }
  assert.deepEqual(up, []);
});

test("no import circles", () => {
  const graph = new Map(all.map((f) => [f, importsOf(join(SRC, f)).filter((t) => all.includes(t))]));
  const circles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === "done") return;
    if (state.get(f) === "open") {
      circles.push([...path.slice(path.indexOf(f)), f].join(" → "));
      return;
    }
    state.set(f, "open");
    for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
    state.set(f, "done");
  };
  for (const f of all) visit(f, []);
  assert.deepEqual(circles, []);
});
