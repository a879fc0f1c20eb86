// The backends this package chooses among on every platform, registered with tfjs by importing
// them: wasm and cpu (`tensorflow` is tfjs-node's, loaded in Node only when installed). Kept by
// bundlers whatever a page uses (package.json `sideEffects`); a page that wants webgl imports
// `@tensorflow/tfjs-backend-webgl` itself.
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
