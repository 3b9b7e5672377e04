"""`python -m tui.bench [--quick] [--json] [--only NAMES] [--markdown FILE]` — see tui.bench.suite."""

import sys

from tui.bench.suite import main

sys.exit(main())
