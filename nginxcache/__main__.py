from nginxcache.cli import run

run()
