export { StreamingRNN } from './streamingRNN';
