/** The help text of each command, and of the whole tool. */

const SEQUENCE_OPTIONS = `
  --weights W          state_dict of an nn.RNN, nn.LSTM or nn.GRU: torch.save's file (.pt, .pth, .bin,
                       told by content; or a checkpoint holding one), .safetensors or .json; or a tfjs
                       model.json (convert --to tfjs)
  --weights-key K      the entry of a PyTorch checkpoint holding the state_dict (default: the file
                       itself, or the one of 'state_dict', 'model_state_dict', 'model', 'net' that is one)
  --config C           JSON of the module's arguments (input_size, hidden_size, num_layers, nonlinearity,
                       bias, batch_first, bidirectional, dropout, proj_size) and mode (RNN_TANH, RNN_RELU,
                       LSTM, GRU; from the weights when absent, but an RNN's nonlinearity only from here);
                       optional when W records it
  --input X            .npy (float32/float64, little-endian, C order), .npz or .json (nested lists),
                       shaped as the module takes it: [L, N, input_size], [N, L, input_size] (batch_first)
                       or [L, input_size] (unbatched)
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
                       AWS_BATCH_JOB_ARRAY_INDEX with _SIZE (AWS Batch array job)
  --backend B          tensorflow, wasm or cpu (default: the fastest available)
  --loop L             how the hand-written model runs its steps: auto (default: small models and
                       short sequences on typed arrays, one sequence at a time), tensor (on the
                       backend: faster for large batches of small models) or host; results agree
                       within the forward tolerance, and for any --batch-size bit for bit
  --allow-nonfinite    run NaN and Infinity in the input and the weights through instead of
                       rejecting them
  --quiet              no progress bar; just the summary line`;

export const USAGE: Record<string, string> = {
  run: `Usage: tfjs-rnn run --weights W [--config C] --input X --output OUT [--hn HN] [--cn CN] [options]

Runs nn.RNN, nn.LSTM or nn.GRU (eval mode) over every sequence of X and writes output (and h_n,
c_n) exactly as PyTorch lays them out, as .npy float32 (or .json by extension), through temp
files renamed at the end, all or none.
${SEQUENCE_OPTIONS}
  --output OUT         output [L, N, D*H_out], [N, L, D*H_out] or [L, D*H_out]
  --hn HN              h_n [D*num_layers, N, H_out] (or [D*num_layers, H_out])
  --cn CN              an LSTM's c_n [D*num_layers, N, hidden_size] (or [D*num_layers, hidden_size])
  --impl I             manual (hand-written recurrence, default) or layers (tf.layers twin)

Sharding: shard i of n (zero-based) holds batch rows [floor(i*N/n), floor((i+1)*N/n)), so n
tasks (any job runner) can each run one shard of the same file, and every row is in exactly
one shard. Under --shard auto each output is named after its shard (out.npy ->
out.shard-0003-of-0016.npy), so that the n tasks can write to one directory; with any --shard,
{shard} in a path stands for it (--hn 'hn.{shard}.npy'). Each output of a shard has its shard
record beside it (out.shard-0003-of-0016.npy.json), from which 'tfjs-rnn merge' puts the
pieces back together:

  tfjs-rnn merge --output out.npy --hn hn.npy out.shard-*.npy hn.shard-*.npy`,
  check: `Usage: tfjs-rnn check --weights W [--config C] --input X [--expected-output E] [--expected-hn E2] [--expected-cn E3] [options]

Runs both implementations, compares them with each other and with the expected arrays (e.g.
exported from PyTorch), prints max abs/rel difference, worst index and a per-sequence summary
for each output; exits 1 when a comparison is outside tolerance.
${SEQUENCE_OPTIONS}
  --expected-output E  expected output (.npy, .npz or .json); --expected-output-key K for an .npz
  --expected-hn E2     expected h_n; --expected-hn-key K for an .npz
  --expected-cn E3     an LSTM's expected c_n; --expected-cn-key K for an .npz
  --rtol r --atol a    tolerance: |actual - expected| <= atol + rtol*|expected| (default rtol 1.3e-6, atol 1e-5)`,
  convert: `Usage: tfjs-rnn convert --weights W [--weights-key K] [--config C] --to pt|safetensors|json|tfjs OUT

Converts between PyTorch state_dict files and a tfjs LayersModel (OUT a directory or a
model.json path; weights.bin beside it) of nn.RNN, nn.LSTM or nn.GRU, recording the module's
arguments and mode so that later commands need no --config (but in a .pt, which holds the
state_dict alone, as torch.load(OUT, weights_only=True) gives it to load_state_dict). A tfjs RNN
or LSTM keeps b_ih + b_hh as one bias: converted back, b_hh is zero and the outputs are the same
(a GRU keeps both).
  --backend B          tensorflow, wasm or cpu
  --allow-nonfinite    read NaN and Infinity in the weights instead of rejecting them (--to json
                       refuses them still: JSON has neither)`,
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
  --cn CN              c_n, from the pieces of c_n (.npy)`,
  info: `Usage: tfjs-rnn info --weights W [--weights-key K] [--config C] [--backend B] [--allow-nonfinite]

Prints the module (nn.RNN, nn.LSTM or nn.GRU) and configuration inferred from the weights, the
full one when given or recorded, parameter names and shapes, parameter count, and the backend
that would run. NaN and Infinity in the weights are refused unless --allow-nonfinite.`,
};

export const GENERAL_USAGE = `Usage: tfjs-rnn <command> [options]

PyTorch's nn.RNN, nn.LSTM and nn.GRU on TensorFlow.js, over files of sequences.

Commands:
  run      run the model over an input file, writing output, h_n (and an LSTM's c_n)
  check    compare both implementations (and expected arrays) with a tolerance
  convert  convert weights between PyTorch (.pt), safetensors, JSON and a tfjs LayersModel
  info     show the configuration and parameters of a weights file
  merge    put the pieces of a sharded run back together

Run 'tfjs-rnn <command> --help' for its options.
Exit codes: 0 success, 1 check outside tolerance, 2 bad input or usage, 3 internal error.`;
