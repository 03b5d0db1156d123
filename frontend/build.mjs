// Bundles the process editor (frontend/editor), the decision-table editor (frontend/dmn) and
// the form editor (frontend/form) into webui/static/vendor/editor with esbuild; `make install`
// runs it. The Content-Security-Policy allows no inline style attributes, so the ones in the
// properties panel's and bpmn-js's markup are rewritten here (editor.css styles those
// classes); the build fails if that markup changes, so nothing is missed. dmn-js's watermark is
// left as it is (its licence says so): the decision-table page allows its few style attributes
// by hash.
import { readFile } from 'node:fs/promises';
import * as esbuild from 'esbuild';

const outdir = process.argv[2] || 'webui/static/vendor/editor';
// markup with inline styles -> the same without (editor.css styles the classes instead)
const INLINE_STYLES = [
  ['<div style="height: 100%" tabindex="-1" class="bio-properties-panel-container">',
    '<div tabindex="-1" class="bio-properties-panel-container">'],
  ['<div style="flex: none; height: auto" class="bio-properties-panel bio-theme-parent bio-properties-panel-header-container">',
    '<div class="bio-properties-panel bio-theme-parent bio-properties-panel-header-container">']
];

// bpmn-js's align/distribute icons are SVG markup with style attributes: written as SVG
// presentation attributes instead (fill="none" draws the same as style="fill:none").
function presentationAttributes(text) {
  return text.replace(/style="([^"]*)"/g, (_, style) => style.split(';')
    .filter((part) => part.includes(':'))
    .map((part) => {
      const [name, value] = part.split(':');
      return `${name.trim()}="${value.trim()}"`;
    }).join(' '));
}

// CodeMirror (the FEEL and script fields) mounts its styles through style-mod, which writes a
// <style> element into a document's <head> (refused by the CSP) and uses a constructed
// stylesheet (adoptedStyleSheets, CSSOM: allowed) only inside shadow roots; here it uses the
// constructed stylesheet for the document too, as every browser we support has them.
const STYLE_MOD = ['if (!root.head && root.adoptedStyleSheets && win.CSSStyleSheet) {',
  'if (root.adoptedStyleSheets && win.CSSStyleSheet) {'];

const noInlineStyles = {
  name: 'no-inline-styles',
  setup(build) {
    build.onLoad({ filter: /style-mod[\\/]src[\\/]style-mod\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes(STYLE_MOD[0])) {
        throw new Error('style-mod changed how it mounts styles: check the CSP');
      }
      return { contents: text.replace(STYLE_MOD[0], STYLE_MOD[1]), loader: 'js' };
    });
    build.onLoad({ filter: /bpmn-js[\\/]lib[\\/]features[\\/](align|distribute)-elements[\\/]\w+Icons\.js$/ },
      async (args) => ({ contents: presentationAttributes(await readFile(args.path, 'utf8')),
        loader: 'js' }));
    build.onLoad({ filter: /bpmn-js-properties-panel[\\/]dist[\\/]index\.esm\.js$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      for (const [inline, plain] of INLINE_STYLES) {
        if (!text.includes(inline)) {
          throw new Error(`bpmn-js-properties-panel changed its markup (${inline}): check the CSP`);
        }
        text = text.replace(inline, plain);
      }
      return { contents: text, loader: 'js' };
    });
  }
};

await esbuild.build({
  entryPoints: {
    main: 'frontend/editor/main.js', editor: 'frontend/editor/editor.css',
    dmn: 'frontend/dmn/main.js', 'dmn-editor': 'frontend/dmn/dmn.css',
    form: 'frontend/form/main.js'
  },
  outdir,
  bundle: true,
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
  jsx: 'automatic',
  jsxImportSource: '@bpmn-io/properties-panel/preact',
  alias: { react: '@bpmn-io/properties-panel/preact/compat' },
  loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file' },
  assetNames: '[name]',
  plugins: [noInlineStyles]
});
