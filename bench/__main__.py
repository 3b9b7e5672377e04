"""`python -m bench [--quick] [--json] [--only NAMES] [--markdown FILE]` — see bench.suite."""
import sys

from bench.suite import main

sys.exit(main())
