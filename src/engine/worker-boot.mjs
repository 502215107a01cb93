// A pool worker's first module (plain JS: it runs before any TypeScript loader exists): register
// tsx's loader in this thread, then hand over to worker-main.ts.
import { register } from "tsx/esm/api";

register();
await import("./worker-main.ts");
