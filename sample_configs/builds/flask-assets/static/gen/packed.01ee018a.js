function greet(name){return"hello, "+name;}
document.addEventListener("DOMContentLoaded",function(){console.log(greet("flask-assets"));});