// `npm run analyze -w packages/chat-elements` writes custom-elements.json (named in package.json)
// from the elements' JSDoc: @summary, @fires, @csspart, @cssprop and the reactive properties.
export default {
  globs: ['src/elements/*/*.ts', 'src/events/*.ts'],
  exclude: ['src/**/*.stories.ts', 'src/**/*.test.ts', 'src/**/*.styles.ts'],
  outdir: '.',
  litelement: true,
  plugins: [
    {
      // `this.dispatchEvent(new RcXEvent(…))` reads as an event without a name; the @fires tags
      // already describe every event.
      name: 'drop-unnamed-events',
      packageLinkPhase({ customElementsManifest }) {
        for (const mod of customElementsManifest.modules) {
          for (const declaration of mod.declarations ?? []) {
            if (declaration.events) declaration.events = declaration.events.filter((event) => event.name);
          }
        }
      },
    },
  ],
};
