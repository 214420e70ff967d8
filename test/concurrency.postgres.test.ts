// The concurrency suite once more, with the server on PostgreSQL: the same races and the same kill -9.
import { useStore } from "./helpers/postgres.js";

useStore("postgres");
await import("./concurrency.test.js");
