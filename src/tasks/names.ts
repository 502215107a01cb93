// Word lists for the logic tasks. PERSONS and CONCEPTS are the names used in Coconut's ProsQA
// data (so real ProsQA files tokenize with them); PROPERTIES are ProntoQA-style adjectives.

export const PERSONS = [
  "Alex", "Bob", "Carol", "Davis", "Eva", "Fae", "Gabriel", "Jack", "Max",
  "Oliver", "Polly", "Rex", "Sally", "Sam", "Stella", "Tom", "Wren",
] as const;

export const CONCEPTS = [
  "bompus", "boompus", "brimpus", "chorpus", "dumpus", "felpus", "fompus", "gerpus",
  "gorpus", "grimpus", "gwompus", "hilpus", "impus", "jelpus", "jompus", "kerpus",
  "lempus", "lorpus", "numpus", "quimpus", "rempus", "rompus", "rorpus", "scrompus",
  "shumpus", "sterpus", "storpus", "terpus", "timpus", "tumpus", "vumpus", "worpus",
  "wumpus", "yerpus", "yimpus", "yumpus", "zhorpus", "zumpus",
] as const;

export const PROPERTIES = [
  "bitter", "sweet", "sour", "spicy", "small", "large", "red", "blue",
  "hot", "cold", "wooden", "metallic", "bright", "dull", "fast", "slow",
] as const;
