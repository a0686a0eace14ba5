"""`python -m desktop` runs the same command line as `customer-desk`."""

import multiprocessing
import sys

from desktop.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()  # a frozen build's import workers start through this entry point
    sys.exit(main())
