console.log("echo module");
