// Random mmcheck command lines for the fuzz test (fuzz.test.ts): a command, a model (built-in,
// misspelt, missing, or a generated model file), and options with random values — counts and
// amounts written every odd way a number can be (`0x10`, `1e3`, `1e308`, `-0`, `1.5`, `''`,
// `NaN`, thirty nines), unknown and misspelt options, repeated options, and output paths that
// collide with each other or with the model file, name a directory or a missing one.
import fc from 'fast-check';

/** Where a command line's paths point: the scratch directory and files in it. */
export interface ArgPaths {
  /** The scratch directory (exists). */
  readonly dir: string;
  /** The model file under test. */
  readonly model: string;
  /** A file that is not JSON, and a JSON file that is no mmcheck trace. */
  readonly notJson: string;
  readonly wrongJson: string;
}

/** Counts: integers and everything that looks almost like one. */
const COUNT = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 5000 }).map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('0', '-1', '1.5', 'abc', '', ' ', '1e3', '0x10', '0b11', 'Infinity', 'NaN', '-0', '+3', '007', '1_000', '9'.repeat(30), '2e9', '1e21', '٣', '3 ', '4294967296', '9007199254740993'),
  },
);

/** Amounts (seconds, MiB): positive numbers and everything that looks almost like one. */
const AMOUNT = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('1', '2', '0.5', '3.25', '500', '4096') },
  {
    weight: 3,
    arbitrary: fc.constantFrom('0', '-5', 'abc', '', '1e10', '1e308', '1e-300', '1e-9', 'Infinity', 'NaN', ' 2', '0x10', '2e9', '2147483.648', '2147483.647', '9'.repeat(400), '5e-324'),
  },
);

/** An output path, given the scratch paths: fresh, shared with another output, the model file, a directory, a missing directory. */
const outputPath = (p: ArgPaths) =>
  fc.constantFrom(`${p.dir}/out-a`, `${p.dir}/out-a`, `${p.dir}/out-b.json`, p.model, p.dir, `${p.dir}/missing/dir/x.json`, '', '-', '/proc/version');

/** `-p` values beside the model's own: none, known, unknown, inherited names, malformed. */
const PARAM = fc.constantFrom('n=1', 'n=2', 'faults=1', 'faults=2', 'addresses=2', 'faults=x', 'faults', '=1', 'constructor=1', '__proto__=1', 'n=1=2', 'a'.repeat(3000) + '=1');

/** One option with its value(s), as argv words. */
function option(p: ArgPaths): fc.Arbitrary<string[]> {
  const valued = (flag: string, value: fc.Arbitrary<string>) => value.map((x) => [flag, x]);
  return fc.oneof(
    valued('--max-states', COUNT),
    valued('--max-depth', COUNT),
    valued('--time-limit', AMOUNT),
    valued('--memory', AMOUNT),
    valued('--workers', COUNT),
    valued('--progress', AMOUNT),
    valued('--dot-limit', COUNT),
    valued('--violation', COUNT),
    valued('--engine', fc.constantFrom('vector', 'immutable', 'auto', 'vektor', '', 'x'.repeat(500))),
    valued('--fairness', fc.constantFrom('weak', 'strong', 'none', 'fair', '')),
    valued('--json', outputPath(p)),
    valued('--html', outputPath(p)),
    valued('--dot', outputPath(p)),
    valued('-p', PARAM),
    valued('--param', PARAM),
    valued('--model', fc.constantFrom('kvm', 'kvn', p.model)),
    fc.constantFrom<string[]>(
      ['--por'],
      ['--symmetry'],
      ['--all-properties'],
      ['--coverage'],
      ['--min-preemptions'],
      ['--no-liveness'],
      ['--no-color'],
      ['--debug'],
      ['--quiet'],
      ['--markdown'],
      ['--frobnicate'],
      ['--jsn', 'x.json'],
      ['--max-state', '5'],
      ['--workers'],
      ['-x'],
      ['--'],
      ['--time-limit=1'],
      ['--workers=2'],
      ['-p'],
    ),
  );
}

/** A command line: argv words after `mmcheck`. */
export function commandLine(p: ArgPaths): fc.Arbitrary<string[]> {
  const model = fc.constantFrom(p.model, p.model, p.model, 'kvm', 'peterson', 'kvn', 'no/such/model.ts', p.dir, p.notJson, '', 'x'.repeat(2000));
  const options = fc.array(option(p), { maxLength: 5 }).map((os) => os.flat());
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(model, options).map(([m, o]) => ['check', m, ...o]) },
    { weight: 1, arbitrary: fc.tuple(model, options).map(([m, o]) => ['explain', m, ...o]) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('kvm', p.model, 'kvn'), options).map(([m, o]) => ['mutants', m, ...o]) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(p.notJson, p.wrongJson, p.model, `${p.dir}/nothing.json`, `${p.dir}/out-b.json`), options).map(([f, o]) => ['replay', f, ...o]) },
    { weight: 1, arbitrary: options.map((o) => ['list', ...o]) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom('chek', '', '--help', 'help'), options).map(([c, o]) => [c, ...o]) },
  );
}
