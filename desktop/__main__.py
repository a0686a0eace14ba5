"""`python -m desktop` runs the same command line as `customer-desk`."""

import sys

from desktop.cli import main

sys.exit(main())
