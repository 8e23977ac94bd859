export default function (eleventyConfig) {
  // Bundle plugin (built into Eleventy 3): {% css %} blocks are collected and
  // written to _site/bundle/<content hash>.css by getBundleFileUrl.
  eleventyConfig.addBundle("css", {
    toFileDirectory: "bundle",
  });
  eleventyConfig.addBundle("js", {
    toFileDirectory: "bundle",
  });

  // Copied as is, no hashing (legacy.0123abcd.js only looks fingerprinted).
  eleventyConfig.addPassthroughCopy({ "src/static": "/" });
}

export const config = {
  dir: {
    input: "src",
    output: "_site",
  },
};
