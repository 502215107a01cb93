// Seeded randomness for data generation: the shared SeededRng (src/common), under the tasks' name.
export { SeededRng as TaskRng } from "../common/seeded-rng.js";
