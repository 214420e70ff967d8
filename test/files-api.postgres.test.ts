// The file API suite once more, with the PostgreSQL store behind the app: the same tests, the other adapter.
import { useStore } from "./helpers/postgres.js";

useStore("postgres");
await import("./files-api.test.js");
