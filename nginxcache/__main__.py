import sys

from nginxcache.cli import main

sys.exit(main())
