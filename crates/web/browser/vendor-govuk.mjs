// Vendors GOV.UK Frontend (the npm package `govuk-frontend`, pinned in package.json) into
// crates/web/static/vendor/govuk/: the stylesheet compiled from the package's Sass with rasso's
// settings, the JavaScript module, and the package's licence. Run from this folder after
// `npm ci`:  node vendor-govuk.mjs
//
// What is NOT copied, on purpose: the GDS Transport font and the GOV.UK crown and crest images.
// They are for GOV.UK services only, and rasso is not one; the stylesheet is compiled with
// `$govuk-font-family: arial, sans-serif` and without the font's @font-face rules, as GOV.UK
// Frontend's documentation asks of services outside GOV.UK.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sass from 'sass';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('govuk-frontend/package.json'));
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const out = join(here, '..', 'static', 'vendor', 'govuk');
mkdirSync(out, { recursive: true });

// The stylesheet: every component, system fonts, assets served under /static/vendor/govuk/.
const source = `
@use "${join(pkgDir, 'dist', 'govuk', 'index.scss').replaceAll('\\', '/')}" with (
  $govuk-font-family: (arial, sans-serif),
  $govuk-include-default-font-face: false,
  $govuk-assets-path: "/static/vendor/govuk/assets/"
);
`;
const css = sass.compileString(source, { style: 'compressed', quietDeps: true, loadPaths: [pkgDir] }).css;
if (css.includes('@font-face') || css.includes('GDS Transport')) {
  throw new Error('the compiled stylesheet still names the GDS Transport font');
}
writeFileSync(join(out, 'govuk-frontend.min.css'), css + '\n');

// The JavaScript: the package's own ES module build, as published.
copyFileSync(join(pkgDir, 'dist', 'govuk', 'govuk-frontend.min.js'), join(out, 'govuk-frontend.min.js'));

// The licence. The npm package ships no licence file: its package.json says MIT and its README
// has a Licence section, copied here as published.
const readme = readFileSync(join(pkgDir, 'README.md'), 'utf8');
const section = readme.split(/^## Licence\s*$/m)[1]?.split(/^## /m)[0]?.trim();
if (!section) throw new Error('no Licence section in the package README');
writeFileSync(join(out, 'LICENCE.md'), [
  `# GOV.UK Frontend ${pkg.version}: licence`,
  '',
  `SPDX-License-Identifier: ${pkg.license} (from the package's package.json)`,
  '',
  "From the package's README.md:",
  '',
  section,
  '',
].join('\n'));

const sha = (file) => createHash('sha256').update(readFileSync(join(out, file))).digest('hex');
const files = ['govuk-frontend.min.css', 'govuk-frontend.min.js', 'LICENCE.md'];
writeFileSync(join(out, 'SOURCE.md'), [
  `# govuk-frontend ${pkg.version}`,
  '',
  `Vendored from the npm package \`govuk-frontend\` ${pkg.version} by \`crates/web/browser/vendor-govuk.mjs\``,
  `(stylesheet compiled with sass ${sass.info.split('\t')[1] ?? ''} and rasso's settings: system fonts, no font files).`,
  'Not vendored: the GDS Transport font and the crown and crest images, which are for GOV.UK only.',
  '',
  '| file | SHA-256 |',
  '|---|---|',
  ...files.map((f) => `| \`${f}\` | \`${sha(f)}\` |`),
  '',
].join('\n'));
console.log(`vendored govuk-frontend ${pkg.version} into ${out}`);
