// `npm start`: the example API on http://127.0.0.1:8080, docs at /docs. Ctrl-C stops it.
import { app } from './app.js';

await app.run();
