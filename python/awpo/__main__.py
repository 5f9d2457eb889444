"""`python -m awpo` runs the command line."""

import sys

from awpo.cli import main

sys.exit(main())
