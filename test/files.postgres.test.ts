// The end-to-end file suite once more, with the real server on PostgreSQL: the same tests, the other adapter.
import { useStore } from "./helpers/postgres.js";

useStore("postgres");
await import("./files.test.js");
