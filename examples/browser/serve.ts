/** `npm run example:browser`: builds the example page and serves it, cross-origin isolated, on http://127.0.0.1:8080/ (`PORT=…` for another port) until Ctrl-C. */
import { serveExample } from './build';

serveExample(Number(process.env.PORT ?? 8080)).then(
  ({ url }) => console.log(`tfjs-rnn example: ${url} (wasm), ${url}?backend=webgl, ${url}?backend=wasm&threads=2, …&compare times every backend; Ctrl-C stops it`),
  (error: Error) => {
    console.error(`${error.name}: ${error.message}`);
    process.exit(1);
  },
);
