// Token vocabularies. Each task configuration gets its own small vocabulary: the eight special
// tokens at fixed ids 0..7 (the same in every task, so recipes can name them), then the task's own
// tokens in a fixed order. Small vocabularies keep embedding and output layers tiny, which matters
// when training on two CPU cores (pointer-chase with 8 symbols: 24 tokens). The task tokens depend
// only on options that define the problem family (e.g. `symbols`, `maxHops`), never on per-split
// ranges, so train, val and test examples of one configuration share every token id.

/** The special tokens, in id order. */
export const SPECIAL_TOKENS = ["<pad>", "<bos>", "<sep>", "<bot>", "<eot>", "<latent>", "<ans>", "<eos>"] as const;

/** Ids of the special tokens, identical in every task vocabulary. */
export const SPECIAL = {
  pad: 0,
  begin: 1,
  separator: 2,
  beginThought: 3,
  endThought: 4,
  latent: 5,
  answer: 6,
  end: 7,
} as const;

/** A fixed list of tokens with id ↔ string lookups and a whitespace tokenizer. */
export class Vocab {
  readonly tokens: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;

  /** The special tokens followed by `taskTokens` (which must be distinct, whitespace-free and not special). */
  constructor(taskTokens: readonly string[]) {
    this.tokens = [...SPECIAL_TOKENS, ...taskTokens];
    const ids = new Map<string, number>();
    this.tokens.forEach((t, i) => {
      if (ids.has(t)) throw new Error(`Vocab: duplicate token "${t}"`);
      if (t === "" || /\s/.test(t)) throw new Error(`Vocab: token "${t}" is empty or holds whitespace`);
      ids.set(t, i);
    });
    this.ids = ids;
  }

  get size(): number {
    return this.tokens.length;
  }

  /** Id of one token; throws on a token outside the vocabulary. */
  id(token: string): number {
    const i = this.ids.get(token);
    if (i === undefined) throw new Error(`token "${token}" is not in the vocabulary`);
    return i;
  }

  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** Ids of a list of tokens. */
  encode(tokens: readonly string[]): number[] {
    return tokens.map((t) => this.id(t));
  }

  /** Tokenize text split on whitespace. */
  encodeText(text: string): number[] {
    const words = text.trim().split(/\s+/);
    return words[0] === "" ? [] : this.encode(words);
  }

  /** Token string of one id; throws outside [0, size). */
  token(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new Error(`token id ${id} is outside the vocabulary (size ${this.size})`);
    return t;
  }

  decode(ids: readonly number[]): string[] {
    return ids.map((i) => this.token(i));
  }

  /** Ids rendered as space-separated token strings. */
  decodeText(ids: readonly number[]): string {
    return this.decode(ids).join(" ");
  }
}
