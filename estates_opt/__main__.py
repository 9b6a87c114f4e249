"""``python -m estates_opt`` runs the command line."""

import sys

from estates_opt.cli import main

sys.exit(main())
