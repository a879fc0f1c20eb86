import { anchorOf, anchorsOf, extractBlocks, numbersDiffer, numbersIn, relativeLinksOf } from './blocks';

const fence = '```';

describe('extractBlocks', () => {
  test('finds every block with its language, fence line, code and marker, in lists too', () => {
    const markdown = [
      '# Title',
      '',
      `${fence}ts`,
      'const a = 1;',
      fence,
      '<!-- doc-test: syntax-only (needs a Slurm cluster) -->',
      '',
      `${fence}sh`,
      'sbatch run.sbatch',
      fence,
      '- a list item:',
      '',
      `  ${fence}python`,
      '  print(1)',
      '',
      '  print(2)',
      `  ${fence}`,
      '<!-- doc-test: file export.py -->',
      `~~~~python`,
      '```',
      '~~~~',
    ].join('\n');
    expect(extractBlocks(markdown, 'x.md')).toEqual([
      { file: 'x.md', line: 3, language: 'ts', kind: 'ts', code: 'const a = 1;\n', marker: undefined },
      { file: 'x.md', line: 8, language: 'sh', kind: 'sh', code: 'sbatch run.sbatch\n', marker: { kind: 'syntax-only', reason: 'needs a Slurm cluster' } },
      { file: 'x.md', line: 13, language: 'python', kind: 'python', code: 'print(1)\n\nprint(2)\n', marker: undefined },
      { file: 'x.md', line: 19, language: 'python', kind: 'python', code: '```\n', marker: { kind: 'file', name: 'export.py' } },
    ]);
  });

  test.each([
    [`${fence}\nx\n${fence}`, /x\.md:1: a block in 'no language': name its language/],
    [`${fence}rust\nx\n${fence}`, /x\.md:1: a block in 'rust'/],
    [`text\n\n${fence}sh\nls\n`, /x\.md:3: the fence opened here is never closed/],
    [`<!-- doc-test: syntax-only -->\n${fence}sh\nls\n${fence}`, /x\.md:1: doc-test marker 'syntax-only': expected/],
    [`<!-- doc-test: skip -->\n${fence}sh\nls\n${fence}`, /x\.md:1: doc-test marker 'skip'/],
    [`<!-- doc-test: file out.txt -->\n${fence}text\nls\n${fence}`, /x\.md:2: a text block is never run/],
  ])('refuses, naming the line: %j', (markdown, message) => {
    expect(() => extractBlocks(markdown, 'x.md')).toThrow(message);
  });
});

describe('numbersDiffer', () => {
  const tolerance = { rtol: 1.3e-6, atol: 1e-5 };

  test('reads the numbers of Python and Node output alike', () => {
    expect(numbersIn('[0.25, -1e-3, 3]')).toEqual([0.25, -0.001, 3]);
    expect(numbersIn('[ 0.25, -0.001, 3 ]\n')).toEqual([0.25, -0.001, 3]);
  });

  test('the same numbers within the tolerance pass', () => {
    expect(numbersDiffer('[ 0.125, -0.5 ]', '[0.125000001, -0.5]', tolerance)).toBeUndefined();
  });

  test.each([
    ['[0.125, -0.4]', '[0.125, -0.5]', 'number 1 is -0.4 where -0.5 was expected'],
    ['[0.125]', '[0.125, -0.5]', '1 numbers printed where 2 were expected'],
    ['[NaN, -0.5]', '[0.125, -0.5]', '1 numbers printed where 2 were expected'],
  ])('%s against %s: %s', (actual, expected, message) => {
    expect(numbersDiffer(actual, expected, tolerance)).toBe(message);
  });
});

describe('links', () => {
  test("headings' anchors as GitHub makes them", () => {
    expect(anchorOf('Command line: `tfjs-rnn`')).toBe('command-line-tfjs-rnn');
    expect(anchorOf('Small models and short calls: the host path')).toBe('small-models-and-short-calls-the-host-path');
    expect(anchorOf('Weights to PyTorch and back')).toBe('weights-to-pytorch-and-back');
    expect(anchorsOf('# A\n```sh\n# not a heading\n```\n## B, c\n')).toEqual(new Set(['a', 'b-c']));
  });

  test('relative links with their lines; web links, code spans and code blocks left out', () => {
    const markdown = 'see [a](docs/a.md#x) and [web](https://example.com)\n`[no](b.md)`\n```md\n[no](c.md)\n```\n[here](#y)';
    expect(relativeLinksOf(markdown)).toEqual([
      { line: 1, path: 'docs/a.md', anchor: 'x' },
      { line: 6, path: '', anchor: 'y' },
    ]);
  });
});
