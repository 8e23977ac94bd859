console.log("sprockets app");
