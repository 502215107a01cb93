// Coconut's ProsQA JSON format: a list of items with `question`, `answer`, `steps`,
// `idx_to_symbol`, `edges`, `root`, `target`, `neg_target`. Reading parses the sentences back into
// facts, option order and path (checking them against the graph), so real ProsQA files can be
// trained and evaluated on; writing renders an example in exactly that format.
import { factSentence, prosqaExample, prosqaVocab, type ProsQAMeta } from "./prosqa.js";
import type { Example } from "./task.js";
import { SPECIAL, type Vocab } from "./vocab.js";

export interface CoconutProsQAItem {
  question: string;
  answer: string;
  steps: string[];
  idx_to_symbol: string[];
  edges: [number, number][];
  root: number;
  target: number;
  neg_target: number;
}

/** Parse a Coconut ProsQA file's text into examples; errors say which item and what is wrong. */
export function readCoconutProsQA(jsonText: string, v: Vocab = prosqaVocab()): Example<ProsQAMeta>[] {
  const items: unknown = JSON.parse(jsonText);
  if (!Array.isArray(items)) throw new Error("ProsQA JSON: expected a list of items");
  return items.map((item, i) => {
    try {
      return fromCoconut(item as CoconutProsQAItem, v);
    } catch (err) {
      throw new Error(`ProsQA JSON item ${i}: ${(err as Error).message}`);
    }
  });
}

/** Render examples as a Coconut ProsQA file's text. */
export function writeCoconutProsQA(examples: readonly Example<ProsQAMeta>[], v: Vocab = prosqaVocab()): string {
  return JSON.stringify(examples.map((e) => toCoconut(e, v)), null, 1);
}

/** One Coconut item → example. */
export function fromCoconut(item: CoconutProsQAItem, v: Vocab = prosqaVocab()): Example<ProsQAMeta> {
  const g: ProsQAMeta = {
    idx_to_symbol: item.idx_to_symbol,
    edges: item.edges.map(([a, b]) => [a, b]),
    root: item.root,
    target: item.target,
    neg_target: item.neg_target,
  };
  const index = new Map(g.idx_to_symbol.map((s, i) => [s, i]));
  if (index.size !== g.idx_to_symbol.length) throw new Error("idx_to_symbol repeats a name");
  const node = (name: string) => {
    const i = index.get(name);
    if (i === undefined) throw new Error(`"${name}" is not in idx_to_symbol`);
    return i;
  };
  const edgeSet = new Set(g.edges.map(([a, b]) => `${a},${b}`));
  const fact = (sentence: string): [number, number] => {
    const m = /^(?:Every )?(\S+) is a (\S+)\.$/.exec(sentence);
    if (!m) throw new Error(`cannot read the sentence "${sentence}"`);
    const f: [number, number] = [node(m[1]), node(m[2])];
    if (!edgeSet.has(`${f[0]},${f[1]}`)) throw new Error(`"${sentence}" is not one of the edges`);
    if (factSentence(m[1], m[2]) !== sentence) throw new Error(`"${sentence}" is not how this fact is written`);
    return f;
  };

  const ask = /^(.*) Is (\S+) a (\S+) or (\S+)\?$/.exec(item.question);
  if (!ask) throw new Error("the question does not end in 'Is X a A or B?'");
  const facts = ask[1].split(/(?<=\.) /).map(fact);
  if (facts.length !== g.edges.length || new Set(facts.map(String)).size !== facts.length) {
    throw new Error(`the question states ${facts.length} facts for ${g.edges.length} edges`);
  }
  if (node(ask[2]) !== g.root) throw new Error(`the question asks about ${ask[2]}, not the root`);
  const options: [number, number] = [node(ask[3]), node(ask[4])];
  if ([...options].sort().join() !== [g.target, g.neg_target].sort().join()) {
    throw new Error("the question's options are not the target and neg_target");
  }
  const path = item.steps.map(fact);
  path.forEach(([a], k) => {
    if (a !== (k === 0 ? g.root : path[k - 1][1])) throw new Error(`step ${k} does not continue the path`);
  });
  if (path.length === 0 || path[path.length - 1][1] !== g.target) throw new Error("the steps do not end at the target");
  const example = prosqaExample(g, facts, options, path, v);
  if (item.answer !== answerSentence(example, v)) throw new Error(`the answer "${item.answer}" does not name the target`);
  return example;
}

/** One example → Coconut item (fact order, option order and path read back from its tokens). */
export function toCoconut(e: Example<ProsQAMeta>, v: Vocab = prosqaVocab()): CoconutProsQAItem {
  const words = v.decode(e.question);
  const sep = e.question.indexOf(SPECIAL.separator);
  const facts: string[] = [];
  for (let i = 0; i < sep; i += 2) facts.push(factSentence(words[i], words[i + 1]));
  const [root, optionA, optionB] = words.slice(sep + 1);
  const m = e.meta;
  return {
    question: `${facts.join(" ")} Is ${root} a ${optionA} or ${optionB}?`,
    answer: answerSentence(e, v),
    steps: e.steps.map((s) => factSentence(v.token(s[0]), v.token(s[1]))),
    idx_to_symbol: [...m.idx_to_symbol],
    edges: m.edges.map(([a, b]) => [a, b]),
    root: m.root,
    target: m.target,
    neg_target: m.neg_target,
  };
}

function answerSentence(e: Example<ProsQAMeta>, v: Vocab): string {
  return `${e.meta.idx_to_symbol[e.meta.root]} is a ${v.token(e.answer[0])}.`;
}

/**
 * Coconut's ProsQA grading (run.py of facebookresearch/coconut): the generated text's part after
 * its last "#", commas removed and trimmed, must equal the gold answer sentence likewise cleaned.
 * A prediction is rendered as the text Coconut trains the model to write after its steps,
 * "### <root> is a <predicted>.", and graded by that rule: right exactly when it names the target.
 */
export function gradeLikeCoconut(e: Example<ProsQAMeta>, predicted: readonly number[], v: Vocab = prosqaVocab()): 0 | 1 {
  const clean = (s: string) => s.replace(/,/g, "").trim();
  const output = `### ${e.meta.idx_to_symbol[e.meta.root]} is a ${predicted.map((t) => v.token(t)).join(" ")}.`;
  const answerOutput = clean(output.split("#").at(-1)!);
  return answerOutput === clean(answerSentence(e, v)) ? 1 : 0;
}

/** Whether a prediction is one of the question's two options (right or wrong): a model that has learned the task's form names one. */
export function namesAnOption(e: Example<ProsQAMeta>, predicted: readonly number[], v: Vocab = prosqaVocab()): boolean {
  const options = [e.meta.target, e.meta.neg_target].map((i) => v.id(e.meta.idx_to_symbol[i]));
  return predicted.length === 1 && options.includes(predicted[0]);
}
