// application entry point
document.addEventListener("DOMContentLoaded", function () {
  console.log(greet("flask-assets"));
});
