window.appBootedAt = Date.now();
