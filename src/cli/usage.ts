/** The help text of each command, and of the whole tool. */

const BACKEND_OPTION = `
  --backend B          tensorflow, wasm or cpu (default: the fastest available; tensorflow needs
                       @tensorflow/tfjs-node installed)`;

const HELP_OPTION = `
  -h, --help           this help`;

const SEQUENCE_OPTIONS = `
  --weights W          a state_dict holding an nn.RNN, nn.LSTM or nn.GRU (the module itself or a whole
                       model around it): torch.save's file (.pt, .pth, .bin, told by content; or a
                       checkpoint holding one), .safetensors or .json; or a tfjs model.json (convert --to tfjs)
  --weights-key K      the entry of a PyTorch checkpoint holding the state_dict, a dotted path into
                       nested dicts (model.rnn: checkpoint['model']['rnn']; at each level the longest
                       run of parts that is an entry, so an entry named 'ema.model' is found too);
                       default: the file itself, or the one of 'state_dict', 'model_state_dict',
                       'model', 'net' that is one
  --prefix P           the recurrent module to run in a whole model's state_dict, by its prefix
                       (lstm or lstm., encoder.rnn; see 'tfjs-rnn info'); default: the only one.
                       DataParallel's module. and torch.compile's _orig_mod. on every key are stripped
  --batch-first        input and output are [N, L, features] (the module's batch_first=True)
  --nonlinearity F     an nn.RNN's activation: tanh (default) or relu
  --config C           JSON of the module's arguments, all or some (e.g. {"batch_first": true}):
                       input_size, hidden_size, num_layers, nonlinearity, bias, batch_first,
                       bidirectional, dropout, proj_size and mode (RNN_TANH, RNN_RELU, LSTM, GRU);
                       each one the weights tell must agree with them; default: the one W records
                       (convert writes it), else only the weights and the flags
  --input X            .npy (float32/float64, little-endian, C order), .npz or .json (nested lists),
                       shaped as the module takes it: [L, N, input_size], [N, L, input_size] (batch_first)
                       or [L, input_size] (unbatched)
  --model SPEC         a whole model instead of one recurrent module: a JSON spec of its layers in
                       PyTorch's words (see docs/whole-models.md); W is then the whole model's
                       state_dict (DataParallel's module. stripped), X its input (token ids
                       .npy int32/int64 when it starts with an Embedding), OUT its output; no
                       --config, --h0, --c0, --hn, --cn
  --input-key K        the array of an .npz input (default: its only array)
  --h0 H0              initial state h [D*num_layers, N, H_out] ([D*num_layers, H_out] unbatched), H_out
                       proj_size when > 0, else hidden_size; an LSTM takes --h0 and --c0 together
  --h0-key K           the array of an .npz h0
  --c0 C0              an LSTM's initial cell state [D*num_layers, N, hidden_size] (no N unbatched)
  --c0-key K           the array of an .npz c0
  --lengths LEN        valid steps of each sequence, [N] (.npy int32/int64 or a JSON list), as
                       pack_padded_sequence(input, lengths, enforce_sorted=False)
  --batch-size N       sequences per chunk read, computed and written at once (default 256)
  --workers N          threads computing chunks: this one and N − 1 worker threads (default and
                       most: one per core); results are identical for any N
  --shard i/n          only shard i of n (zero-based): rows [floor(i*N/n), floor((i+1)*N/n))
  --shard auto[/n]     i and n from the scheduler running the task: JOB_COMPLETION_INDEX (Kubernetes
                       Indexed Job: give n, its completions), SLURM_ARRAY_TASK_ID with _COUNT or
                       _MIN/_MAX (Slurm job array: i is the task's position in the array),
                       AWS_BATCH_JOB_ARRAY_INDEX with _SIZE (AWS Batch array job)${BACKEND_OPTION}
  --loop L             how the hand-written model runs its steps: auto (default: small models and
                       short sequences on typed arrays, one sequence at a time), tensor (on the
                       backend: faster for large batches of small models) or host; results agree
                       within the forward tolerance, and for any --batch-size bit for bit
  --allow-nonfinite    run NaN and Infinity in the input and the weights through instead of
                       rejecting them
  --progress P         auto (default: bar on a terminal, else lines), bar (redrawn in place), lines
                       (a plain line every 5 s: done/total, rate, elapsed, ETA) or none
  --quiet              --progress none: just the summary line`;

export const USAGE: Record<string, string> = {
  run: `Usage: tfjs-rnn run --weights W [--prefix P] [--batch-first] --input X --output OUT [--hn HN] [--cn CN] [options]

Runs nn.RNN, nn.LSTM or nn.GRU (eval mode) over every sequence of X and writes output (and h_n,
c_n) exactly as PyTorch lays them out, as .npy float32 (or .json by extension), through temp
files renamed at the end, all or none.
${SEQUENCE_OPTIONS}
  --output OUT         output [L, N, D*H_out], [N, L, D*H_out] or [L, D*H_out]
  --hn HN              h_n [D*num_layers, N, H_out] (or [D*num_layers, H_out])
  --cn CN              an LSTM's c_n [D*num_layers, N, hidden_size] (or [D*num_layers, hidden_size])
  --impl I             manual (hand-written recurrence, default) or layers (tf.layers twin)${HELP_OPTION}

Sharding: shard i of n (zero-based) holds batch rows [floor(i*N/n), floor((i+1)*N/n)), so n
tasks (any job runner) can each run one shard of the same file, and every row is in exactly
one shard. Under --shard auto each output is named after its shard (out.npy ->
out.shard-0003-of-0016.npy), so that the n tasks can write to one directory; with any --shard,
{shard} in a path stands for it (--hn 'hn.{shard}.npy'). Each output of a shard has its shard
record beside it (out.shard-0003-of-0016.npy.json), from which 'tfjs-rnn merge' puts the
pieces back together:

  tfjs-rnn merge --output out.npy --hn hn.npy out.shard-*.npy hn.shard-*.npy`,
  check: `Usage: tfjs-rnn check --weights W [--prefix P] [--batch-first] --input X [--expected-output E] [--expected-hn E2] [--expected-cn E3] [options]

Runs both implementations, compares them with each other and with the expected arrays (e.g.
exported from PyTorch), prints max abs/rel difference, worst index and a per-sequence summary
for each output; exits 1 when a comparison is outside tolerance.
${SEQUENCE_OPTIONS}
  --expected-output E  expected output (.npy, .npz or .json)
  --expected-output-key K
                       the array of an .npz E
  --expected-hn E2     expected h_n
  --expected-hn-key K  the array of an .npz E2
  --expected-cn E3     an LSTM's expected c_n
  --expected-cn-key K  the array of an .npz E3
  --rtol r             relative tolerance (default 1.3e-6)
  --atol a             absolute tolerance (default 1e-5): |actual - expected| <= atol + rtol*|expected|${HELP_OPTION}`,
  convert: `Usage: tfjs-rnn convert --weights W [--weights-key K] [--prefix P] [--batch-first] [--nonlinearity F] [--config C] --to pt|safetensors|json|tfjs OUT
       tfjs-rnn convert --model SPEC --weights W [--weights-key K] [--to tfjs] OUT

Converts between PyTorch state_dict files and a tfjs LayersModel (OUT a directory or a
model.json path; weights.bin beside it) of nn.RNN, nn.LSTM or nn.GRU — the one recurrent module
of a whole model's state_dict, or --prefix's — recording the module's arguments and mode so that
later commands need no flags (but in a .pt, which holds the state_dict alone, as
torch.load(OUT, weights_only=True) gives it to the module's load_state_dict). A tfjs RNN or LSTM
keeps b_ih + b_hh as one bias: converted back, b_hh is zero and the outputs are the same (a GRU
keeps both).
  --weights W          a state_dict (.pt, .pth, .bin, .safetensors, .json) or a tfjs model.json
  --weights-key K      the entry of a PyTorch checkpoint holding the state_dict, a dotted path for
                       nested dicts (see 'tfjs-rnn run --help')
  --prefix P           the recurrent module of a whole model's state_dict (default: the only one)
  --batch-first        record batch_first=True
  --nonlinearity F     an nn.RNN's activation: tanh (default) or relu
  --config C           JSON of the module's arguments, all or some, checked against the weights
  --to T               pt, safetensors, json or tfjs
  --model SPEC         a whole model (see docs/whole-models.md): writes its tf.layers twin as a tfjs
                       LayersModel with inputs input and lengths, which tf.loadLayersModel runs
                       with the package imported; W the whole model's state_dict
  --allow-nonfinite    read NaN and Infinity in the weights instead of rejecting them (--to json
                       refuses them still: JSON has neither)${BACKEND_OPTION}${HELP_OPTION}`,
  merge: `Usage: tfjs-rnn merge [--output OUT] [--hn HN] [--cn CN] PIECE...

Puts the pieces of a sharded run (run --shard, each .npy with its .npy.json shard record) back
together: OUT from the pieces of output, HN from those of h_n, CN from those of c_n. The pieces
must be the complete set of one run: the same shard count, every shard once, the same input
files (by the fingerprints in their records) and shapes that fit. They are concatenated along
the batch axis in shard order (output: axis 0 with batch_first, else 1; h_n, c_n: axis 1),
streaming, a block of 16 MiB at a time, to temp files renamed at the end, all or none. The
result is byte for byte what one run over the whole input writes (on the same backend).

  --output OUT         the output, from the pieces of output (.npy)
  --hn HN              h_n, from the pieces of h_n (.npy)
  --cn CN              c_n, from the pieces of c_n (.npy)${HELP_OPTION}`,
  info: `Usage: tfjs-rnn info --weights W [--weights-key K] [--prefix P] [--batch-first] [--nonlinearity F] [--config C] [--backend B] [--allow-nonfinite]

Lists the modules of the state_dict: each recurrent one (nn.RNN, nn.LSTM or nn.GRU) by prefix with
what its keys and shapes say (input, hidden and proj sizes, layers, directions, bias), and the
others by prefix and shape (Embedding or Linear without bias [V, E], Linear [out, in] with bias,
LayerNorm [F]); then for the recurrent module chosen (--prefix, or the only one) the configuration
inferred from the weights, the full one (with --config, the recorded one or the flags),
parameter names and shapes, parameter count, and the backend that would run.
  --weights W          a state_dict (.pt, .pth, .bin, .safetensors, .json) or a tfjs model.json
  --weights-key K      the entry of a PyTorch checkpoint holding the state_dict, a dotted path for
                       nested dicts (see 'tfjs-rnn run --help')
  --prefix P           the recurrent module to describe (default: the only one)
  --batch-first        as run takes it
  --nonlinearity F     as run takes it
  --config C           JSON of the module's arguments, all or some, checked against the weights
  --allow-nonfinite    read NaN and Infinity in the weights instead of rejecting them${BACKEND_OPTION}${HELP_OPTION}`,
  generate: `Usage: tfjs-rnn generate --weights W --model SPEC --prompt IDS --steps N --output OUT [--temperature T] [--top-k K] [--seed S] [--stop-id I]

Continues each prompt with a language model (a spec whose output is a distribution over its
Embedding's vocabulary at every step: Embedding, unidirectional RNN/LSTM/GRU and per-step layers,
a Linear to the V logits, optionally Softmax or LogSoftmax; no selection), as PyTorch's loop
feeding back one token at a time: each prompt is read once, then one step per new token on the
recurrent state. Greedy (the argmax, the first one among equal logits) unless --temperature or
--top-k is given. Writes the N new ids of each prompt as int64 .npy, [batch, N] ([1, N] for a
prompt [P]), through a temp file renamed at the end; nothing is written on an error.
  --weights W          the whole model's state_dict (.pt, .pth, .bin, .safetensors, .json; a
                       checkpoint holding it; DataParallel's module. stripped)
  --weights-key K      the entry of a PyTorch checkpoint holding the state_dict, a dotted path for
                       nested dicts (see 'tfjs-rnn run --help')
  --model SPEC         the model's JSON spec (see docs/whole-models.md and docs/generation.md)
  --prompt IDS         token ids [P] or [batch, P] (.npy int32/int64, or a JSON list), each in [0, V),
                       whatever the spec's batch_first
  --steps N            new tokens per prompt
  --output OUT         the new ids, .npy int64 [batch, N] ([1, N] for a prompt [P])
  --temperature T      0 (default): greedy, the argmax fed back (PyTorch's tokens); T > 0: sample
                       from softmax(logits / T)
  --top-k K            sample among the K largest logits only (ties: lower ids first), K in [0, V];
                       0 (default): all; 1 is greedy
  --seed S             seed of the sampling generator (Philox4x32-10), an integer in [0, 2^53),
                       default 0; the same seed gives the same tokens on every backend and run
                       (not torch.multinomial's sequence); greedy decoding draws nothing
  --stop-id I          an id in [0, V): a prompt whose continuation reaches it repeats it to the end
${BACKEND_OPTION}${HELP_OPTION}`,
};

export const GENERAL_USAGE = `Usage: tfjs-rnn <command> [options]

PyTorch's nn.RNN, nn.LSTM and nn.GRU on TensorFlow.js, over files of sequences.

Commands:
  run      run the model over an input file, writing output, h_n (and an LSTM's c_n)
  check    compare both implementations (and expected arrays) with a tolerance
  convert  convert weights between PyTorch (.pt), safetensors, JSON and a tfjs LayersModel
  generate continue prompts with a language model given by --model (greedy or sampled)
  info     list the modules of a weights file; the configuration and parameters of its recurrent one
  merge    put the pieces of a sharded run back together

Options:
  -h, --help           this help; 'tfjs-rnn <command> --help' for a command's options
  -v, --version        the version of tfjs-rnn
Exit codes: 0 success, 1 check outside tolerance, 2 bad input or usage, 3 internal error.`;
