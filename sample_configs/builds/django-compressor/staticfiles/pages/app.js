// site script, concatenated and minified by django-compressor
(function () {
  var greeting = "hello from app.js";
  document.addEventListener("DOMContentLoaded", function () {
    console.log(greeting);
  });
})();
