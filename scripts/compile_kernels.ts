/**
 * `npm run kernels`: compiles `src/manual/engines/host/kernels.wat` with wabt and writes its bytes to
 * `src/manual/engines/host/kernelsWasm.ts` (the package ships no compiler; a test checks that the
 * committed bytes are this source's).
 */
import * as fs from 'fs';
import * as path from 'path';
import wabt from 'wabt';

const SOURCE = path.join(__dirname, '..', 'src', 'manual', 'engines', 'host', 'kernels.wat');
const TARGET = path.join(__dirname, '..', 'src', 'manual', 'engines', 'host', 'kernelsWasm.ts');

/** The binary module `kernels.wat` compiles to. */
export async function compileKernels(): Promise<Uint8Array> {
  const compiler = await wabt();
  const module = compiler.parseWat(path.basename(SOURCE), fs.readFileSync(SOURCE, 'utf8'), { simd: true });
  try {
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/** `kernelsWasm.ts` for those bytes, sixteen to a line. */
export function kernelsWasmSource(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let start = 0; start < bytes.length; start += 16) lines.push(`  ${Array.from(bytes.subarray(start, start + 16)).join(', ')},`);
  return [
    '/** `kernels.wat` compiled by `npm run kernels` (wabt); a test checks these bytes against the source. */',
    'export const KERNELS_WASM = new Uint8Array([',
    ...lines,
    ']);',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const source = kernelsWasmSource(await compileKernels());
  const temporary = `${TARGET}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, source);
  fs.renameSync(temporary, TARGET);
  process.stdout.write(`wrote ${path.relative(process.cwd(), TARGET)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
