export { STREAM_HOST_MAX_MULTIPLY_ADDS, StreamingRNN } from './streamingRNN';
