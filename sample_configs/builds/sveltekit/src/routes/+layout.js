// adapter-static needs every page prerendered
export const prerender = true;
