/**
 * `npm run kernel`: compiles `src/manual/simd/product.wat` with wabt and writes its bytes to
 * `src/manual/simd/productWasm.ts` (the package ships no compiler; a test checks that the
 * committed bytes are this source's).
 */
import * as fs from 'fs';
import * as path from 'path';
import wabt from 'wabt';

const SOURCE = path.join(__dirname, '..', 'src', 'manual', 'simd', 'product.wat');
const TARGET = path.join(__dirname, '..', 'src', 'manual', 'simd', 'productWasm.ts');

/** The binary module `product.wat` compiles to. */
export async function compileProductKernel(): Promise<Uint8Array> {
  const compiler = await wabt();
  const module = compiler.parseWat(path.basename(SOURCE), fs.readFileSync(SOURCE, 'utf8'), { simd: true });
  try {
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/** `productWasm.ts` for those bytes, sixteen to a line. */
export function productWasmSource(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let start = 0; start < bytes.length; start += 16) lines.push(`  ${Array.from(bytes.subarray(start, start + 16)).join(', ')},`);
  return [
    '/** `product.wat` compiled by `npm run kernel` (wabt); a test checks these bytes against the source. */',
    'export const PRODUCT_WASM = new Uint8Array([',
    ...lines,
    ']);',
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const source = productWasmSource(await compileProductKernel());
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
