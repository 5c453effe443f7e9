// Files bundled as text by wrangler.toml's [[rules]] type = "Text" (the dashboard's static assets).
declare module "*.min.js" {
  const text: string;
  export default text;
}
declare module "*.css" {
  const text: string;
  export default text;
}
declare module "*/static/dashboard.js" {
  const text: string;
  export default text;
}
