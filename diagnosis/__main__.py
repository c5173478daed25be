import sys

from diagnosis.cli import main

sys.exit(main())
