/** Vite's `?raw` imports: a file's text, for tests that check files served from public/. */
declare module '*?raw' {
  const content: string;
  export default content;
}
