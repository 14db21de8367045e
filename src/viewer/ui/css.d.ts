// esbuild bundles the stylesheet main.ts imports into assets/app.css.
declare module '*.css';
