import adapter from '@sveltejs/adapter-static';

/** @type {import('@sveltejs/kit').Config} */
const config = {
	kit: {
		// adapter-static defaults: pages and assets in build/, no SPA fallback
		adapter: adapter()
	}
};

export default config;
