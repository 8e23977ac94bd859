// small helpers
function greet(name) {
  return "hello, " + name;
}
